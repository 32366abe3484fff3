package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/drmorigin/drmorigin/storage"
)

// Config says which bucket and prefix hold the assets, how to reach the
// store and with which credentials.
type Config struct {
	Bucket string // the bucket's name
	// Prefix is the key prefix under which the assets are ("media" or
	// "media/"; "" for the bucket's top). Slashes around it are ignored.
	Prefix string
	// Endpoint is the store's URL, scheme and host only
	// ("http://127.0.0.1:9000", "https://s3.eu-west-1.amazonaws.com").
	// Empty means Amazon S3 (https://s3.amazonaws.com), whose regional
	// endpoint minio-go derives from Region.
	Endpoint string
	// Region signs the requests. Empty: for Amazon S3, the region in the
	// endpoint's host name or else the bucket's location, asked once
	// (GetBucketLocation) and cached; for any other endpoint, us-east-1,
	// which MinIO, Ceph and R2 accept, so that no request is spent asking.
	Region string
	// PathStyle addresses the bucket in the path (endpoint/bucket/key)
	// rather than the host (bucket.endpoint/key). Off, minio-go chooses:
	// virtual-host style for Amazon and the clouds it knows, path style
	// for anything else (an IP address, localhost, a private name).
	PathStyle bool
	// AccessKey and SecretKey (and SessionToken, for temporary
	// credentials) sign the requests when AccessKey is set; else the
	// credential chain of the package doc finds them.
	AccessKey, SecretKey, SessionToken string
}

// Remote is the storage.Remote of an S3 bucket. Its methods are safe for
// concurrent use.
type Remote struct {
	core   minio.Core
	bucket string
	prefix string // "" or ending in "/"
}

var _ storage.Remote = (*Remote)(nil)

// New returns the Remote of cfg's bucket. It sends no request to the
// store (the credential chain may ask the instance metadata service once):
// a bucket that does not exist or refused credentials show at the first
// call.
func New(cfg Config) (*Remote, error) {
	if err := s3utils.CheckValidBucketName(cfg.Bucket); err != nil {
		return nil, fmt.Errorf("s3: bucket %q: %w", cfg.Bucket, err)
	}
	prefix, err := cleanPrefix(cfg.Prefix)
	if err != nil {
		return nil, err
	}
	ep := cfg.Endpoint
	if ep == "" {
		ep = "https://s3.amazonaws.com"
	}
	u, err := parseEndpoint(ep)
	if err != nil {
		return nil, err
	}
	region := cfg.Region
	if region == "" && !s3utils.IsAmazonEndpoint(*u) {
		region = "us-east-1"
	}
	var creds *credentials.Credentials
	if cfg.AccessKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken)
	} else {
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{},
			&credentials.EnvMinio{},
			&credentials.FileAWSCredentials{},
			&credentials.IAM{},
		})
		// Ask the chain once now. When it finds nothing, minio-go would
		// ask it again before every request (an anonymous result never
		// "expires"), each time waiting on the instance metadata service:
		// go anonymous for good instead (a public bucket).
		if v, err := creds.Get(); err == nil && v.AccessKeyID == "" && v.SecretAccessKey == "" {
			creds = credentials.NewStatic("", "", "", credentials.SignatureAnonymous)
		}
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        creds,
		Secure:       u.Scheme == "https",
		Region:       region,
		BucketLookup: lookup,
		// One attempt: the remote Store retries, with its own backoff
		// and deadline. (minio-go still sleeps its backoff, up to
		// 200 ms, after a failed attempt it deems retryable; the
		// caller's context cuts that short.)
		MaxRetries: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("s3: endpoint %s: %w", u.Redacted(), err)
	}
	return &Remote{core: minio.Core{Client: c}, bucket: cfg.Bucket, prefix: prefix}, nil
}

// cleanPrefix returns p without slashes around it and with one after it,
// or "", checking that it is a valid Store name.
func cleanPrefix(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", nil
	}
	if !storage.ValidName(p) {
		return "", fmt.Errorf("s3: key prefix %q: %w", p, storage.ErrInvalidName)
	}
	return p + "/", nil
}

// parseEndpoint checks that ep is an http or https URL with a host and
// nothing else.
func parseEndpoint(ep string) (*url.URL, error) {
	u, err := url.Parse(ep)
	if err != nil {
		return nil, errors.New("s3: endpoint is not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("s3: endpoint %s: the scheme must be http or https", u.Redacted())
	case u.Host == "":
		return nil, fmt.Errorf("s3: endpoint %s: no host", u.Redacted())
	case u.User != nil:
		return nil, errors.New("s3: endpoint: credentials do not belong in the endpoint URL")
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "":
		return nil, fmt.Errorf("s3: endpoint %s: only a scheme and a host, no path or query", u.Redacted())
	}
	return u, nil
}

// ParseURL parses a storage root of the form
//
//	s3://bucket[/prefix][?endpoint=URL&region=R&pathStyle=true]
//
// into a Config without credentials (the chain finds them; a root is
// logged and must not hold them). Any other query key is an error.
func ParseURL(root string) (Config, error) {
	u, err := url.Parse(root)
	if err != nil {
		// url.Parse's error quotes the whole root: keep only its reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Config{}, fmt.Errorf("s3: root is not a URL: %w", err)
	}
	if u.Scheme != "s3" {
		return Config{}, fmt.Errorf("s3: root %s: the scheme must be s3", u.Redacted())
	}
	if u.User != nil {
		return Config{}, errors.New("s3: root: credentials do not belong in the root URL")
	}
	if u.Opaque != "" || u.Host == "" {
		return Config{}, fmt.Errorf("s3: root %s: want s3://bucket[/prefix]", u.Redacted())
	}
	if u.Fragment != "" {
		return Config{}, fmt.Errorf("s3: root %s: a fragment means nothing here", u.Redacted())
	}
	cfg := Config{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Config{}, fmt.Errorf("s3: root %s: query: %w", u.Redacted(), err)
	}
	for k, vs := range q {
		if len(vs) != 1 {
			return Config{}, fmt.Errorf("s3: root: %s given %d times", k, len(vs))
		}
		v := vs[0]
		switch k {
		case "endpoint":
			if _, err := parseEndpoint(v); err != nil {
				return Config{}, err
			}
			cfg.Endpoint = v
		case "region":
			cfg.Region = v
		case "pathStyle":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return Config{}, fmt.Errorf("s3: root: pathStyle=%q is not a boolean", v)
			}
			cfg.PathStyle = b
		default:
			return Config{}, fmt.Errorf("s3: root: unknown query key %q (want endpoint, region, pathStyle)", k)
		}
	}
	if err := s3utils.CheckValidBucketName(cfg.Bucket); err != nil {
		return Config{}, fmt.Errorf("s3: root: bucket %q: %w", cfg.Bucket, err)
	}
	if _, err := cleanPrefix(cfg.Prefix); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// key is the key of the Store name name.
func (r *Remote) key(name string) string { return r.prefix + name }

// Locate returns s3://bucket/key.
func (r *Remote) Locate(name string) string {
	return "s3://" + r.bucket + "/" + r.key(name)
}

// Stat returns the object's size and its ETag, without quotes.
//
// The version is the ETag rather than a version ID: If-Match compares
// ETags on every S3-compatible store, with versioning on or off, and an
// ETag changes with the bytes, which is what a reader pinned to a version
// needs to notice (ErrChanged). A version ID exists only in versioned
// buckets, and a read by version ID would not notice a replacement at
// all.
func (r *Remote) Stat(ctx context.Context, name string) (int64, string, error) {
	if !storage.ValidName(name) {
		return 0, "", r.invalid("stat", name)
	}
	info, err := r.core.StatObject(ctx, r.bucket, r.key(name), minio.StatObjectOptions{})
	if err != nil {
		return 0, "", r.fail("stat", r.Locate(name), err)
	}
	etag := strings.Trim(info.ETag, `"`)
	if etag == "" {
		// Without an ETag nothing could be pinned: a store fault.
		return 0, "", &Error{Service: serviceName, Op: "stat", Location: r.Locate(name), Status: http.StatusOK, Code: "NoETag"}
	}
	return info.Size, etag, nil
}

// ReadRange returns the body of a GET of bytes off..off+n-1 with If-Match
// on version. The request is made here, not at the first Read (the Core
// client returns after the response's headers), so a missing object
// (ErrNotFound) and a replaced one (ErrChanged) are errors of ReadRange
// itself, without a stat of its own. The body is bound to ctx.
func (r *Remote) ReadRange(ctx context.Context, name, version string, off, n int64) (io.ReadCloser, error) {
	if !storage.ValidName(name) {
		return nil, r.invalid("read", name)
	}
	if off < 0 || n < 0 {
		return nil, &Error{Service: serviceName, Op: "read", Location: r.Locate(name), Code: fmt.Sprintf("BadRange(%d,%d)", off, n)}
	}
	if n == 0 {
		return io.NopCloser(strings.NewReader("")), nil
	}
	var opts minio.GetObjectOptions
	if err := opts.SetRange(off, off+n-1); err != nil {
		return nil, r.fail("read", r.Locate(name), err)
	}
	if version != "" {
		if err := opts.SetMatchETag(version); err != nil {
			return nil, r.fail("read", r.Locate(name), err)
		}
	}
	body, _, h, err := r.core.GetObject(ctx, r.bucket, r.key(name), opts)
	if err != nil {
		return nil, r.fail("read", r.Locate(name), err)
	}
	// A store that ignores Range answers 200 and the whole object, right
	// only when the range starts at 0; a Content-Range must start at off.
	if start, ok := rangeStart(h.Get("Content-Range")); ok && start != off || !ok && off != 0 {
		body.Close()
		return nil, &Error{Service: serviceName, Op: "read", Location: r.Locate(name), Code: "RangeNotAsAsked"}
	}
	return body, nil
}

// rangeStart returns the first byte of a Content-Range ("bytes 10-19/100").
func rangeStart(cr string) (int64, bool) {
	s, ok := strings.CutPrefix(cr, "bytes ")
	if !ok {
		return 0, false
	}
	s, _, ok = strings.Cut(s, "-")
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// List lists the keys and common prefixes directly under prefix ("" or
// "asset/"). A prefix other than "" with nothing under it is ErrNotFound;
// so is a bucket that does not exist.
func (r *Remote) List(ctx context.Context, prefix string) ([]storage.Entry, error) {
	if prefix != "" && (!strings.HasSuffix(prefix, "/") || !storage.ValidName(prefix[:len(prefix)-1])) {
		return nil, r.invalid("list", prefix)
	}
	out, err := r.list(ctx, prefix, "")
	if err == nil && len(out) == 0 && prefix != "" {
		return nil, &Error{Service: serviceName, Op: "list", Location: r.Locate(prefix), Code: "NoSuchPrefix", Kind: storage.ErrNotFound}
	}
	return out, err
}

// ListPrefix lists the keys directly under the directory prefix dir whose
// names start with start: one listing of the key prefix dir+start
// (storage.RemotePrefixLister). Nothing there is an empty list.
func (r *Remote) ListPrefix(ctx context.Context, dir, start string) ([]storage.Entry, error) {
	if dir != "" && (!strings.HasSuffix(dir, "/") || !storage.ValidName(dir[:len(dir)-1])) || strings.Contains(start, "/") {
		return nil, r.invalid("list", dir+start)
	}
	return r.list(ctx, dir, start)
}

// list lists what is directly under the directory prefix whose names
// start with start.
func (r *Remote) list(ctx context.Context, prefix, start string) ([]storage.Entry, error) {
	kp := r.key(prefix)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops minio-go's listing when we leave early
	noOwner := false
	var out []storage.Entry
	for obj := range r.core.ListObjectsIter(ctx, r.bucket, minio.ListObjectsOptions{
		Prefix:     kp + start,
		FetchOwner: &noOwner,
	}) {
		if obj.Err != nil {
			return nil, r.fail("list", r.Locate(prefix), obj.Err)
		}
		name, ok := strings.CutPrefix(obj.Key, kp)
		if !ok || name == "" || name == "/" {
			continue // the prefix's own directory marker
		}
		if dir, ok := strings.CutSuffix(name, "/"); ok {
			out = append(out, storage.Entry{Name: dir, Dir: true})
		} else if !strings.Contains(name, "/") {
			out = append(out, storage.Entry{Name: name, Size: obj.Size})
		}
	}
	return out, nil
}

func (r *Remote) invalid(op, name string) error {
	return &Error{Service: serviceName, Op: op, Location: r.Locate(name), Kind: storage.ErrInvalidName}
}

// Error is the error of a Remote call: see storage.RemoteError. Its text
// starts with "s3: ".
type Error = storage.RemoteError

// service names the store in the text of its errors.
const serviceName = "s3"

// fail classifies an error of minio-go.
func (r *Remote) fail(op, loc string, err error) error {
	e := &Error{Service: serviceName, Op: op, Location: loc}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		e.Status = resp.StatusCode
		e.Code = storage.ErrorCode(resp.Code)
		switch {
		case resp.StatusCode == http.StatusNotFound,
			resp.Code == "NoSuchKey", resp.Code == "NoSuchBucket", resp.Code == "NotFound":
			e.Kind = storage.ErrNotFound
		case resp.StatusCode == http.StatusPreconditionFailed, resp.Code == "PreconditionFailed":
			e.Kind = storage.ErrChanged
		case resp.Code == "InvalidBucketName", resp.Code == "XMinioInvalidObjectName",
			resp.Code == "InvalidObjectName", resp.Code == "KeyTooLongError":
			e.Kind = storage.ErrInvalidName
		}
		return e
	}
	return e.WithCause(err)
}
