package keyclient

import "context"

// DRMSignal is the DRM signalling of one system for one key, as a CPIX
// document gave it: the origin writes it into manifests and init segments
// in place of what it would generate. Empty fields are absent.
type DRMSignal struct {
	SystemID              KID    `json:"systemId"`
	PSSH                  []byte `json:"pssh,omitempty"`
	ContentProtectionData []byte `json:"contentProtectionData,omitempty"`
	HLSMedia              []byte `json:"hlsMedia,omitempty"`
	HLSMaster             []byte `json:"hlsMaster,omitempty"`
	SmoothHeader          string `json:"smoothHeader,omitempty"`
}

// Signal returns the imported signalling of system id, if any.
func (k *Key) Signal(id [16]byte) (*DRMSignal, bool) {
	for i := range k.DRM {
		if k.DRM[i].SystemID == id {
			return &k.DRM[i], true
		}
	}
	return nil, false
}

// Resolve returns a locator with its streaming policy and unwrapped keys,
// read from the store now (not cached): for exports, never the segment
// path.
func (s *Service) Resolve(ctx context.Context, name string) (*Resolved, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	return s.resolve(ctx, name)
}
