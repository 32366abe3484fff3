package cpix

// Namespaces of a CPIX document.
const (
	NS      = "urn:dashif:org:cpix"
	nsDSig  = "http://www.w3.org/2000/09/xmldsig#"
	nsXEnc  = "http://www.w3.org/2001/04/xmlenc#"
	nsPSKC  = "urn:ietf:params:xml:ns:keyprov:pskc"
	version = "2.3"
)

// Algorithm identifiers (CPIX 2.3 clause 7.1.4, "Mandatory Algorithms",
// named as xmlenc and xmldsig-more name them).
const (
	algAES256CBC  = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
	algRSAOAEP    = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
	algHMACSHA512 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha512"
)

// Playlist values of HLSSignalingData@playlist in CPIX 2.3.
const (
	playlistMedia  = "media"
	playlistMaster = "master"
)
