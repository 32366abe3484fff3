package azblob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/drmorigin/drmorigin/storage"
)

// Config says which account, container and prefix hold the assets, how
// to reach the account and with which credentials (at most one of
// ConnectionString, AccountKey and SASToken; none for public access).
type Config struct {
	// Account is the storage account's name. It may be left empty when
	// ConnectionString names it.
	Account string
	// Container holds the assets as blob prefixes; empty, each asset is
	// a container of its own (see the package doc).
	Container string
	// Prefix is the blob prefix under which the assets are, in Container
	// ("media" or "media/"; "" for the container's top). Slashes around
	// it are ignored.
	Prefix string
	// Endpoint is the account's blob service URL, without a query
	// ("http://127.0.0.1:10000/devstoreaccount1" for Azurite). Empty: the
	// connection string's, or https://{Account}.blob.core.windows.net.
	Endpoint string
	// ConnectionString is an account's connection string, as the Azure
	// portal gives it.
	ConnectionString string
	// AccountKey is the account's shared key (base64).
	AccountKey string
	// SASToken is a shared access signature ("sv=…&sig=…", with or
	// without its leading "?") for the account or the container.
	SASToken string
}

// Environment variables FromEnv reads, as the Azure CLI names them.
const (
	EnvConnectionString = "AZURE_STORAGE_CONNECTION_STRING"
	EnvAccount          = "AZURE_STORAGE_ACCOUNT"
	EnvKey              = "AZURE_STORAGE_KEY"
	EnvSASToken         = "AZURE_STORAGE_SAS_TOKEN"
)

// FromEnv returns cfg with credentials from the environment when it has
// none: AZURE_STORAGE_CONNECTION_STRING; else AZURE_STORAGE_KEY, for the
// account AZURE_STORAGE_ACCOUNT (which must then be cfg.Account, when
// that is set); else AZURE_STORAGE_SAS_TOKEN. AZURE_STORAGE_ACCOUNT also
// names the account when cfg does not. With none of them set cfg comes
// back as it was: public access.
func FromEnv(cfg Config) (Config, error) {
	envAccount := os.Getenv(EnvAccount)
	if cfg.Account == "" {
		cfg.Account = envAccount
	}
	if cfg.ConnectionString != "" || cfg.AccountKey != "" || cfg.SASToken != "" {
		return cfg, nil
	}
	switch {
	case os.Getenv(EnvConnectionString) != "":
		cfg.ConnectionString = os.Getenv(EnvConnectionString)
	case os.Getenv(EnvKey) != "":
		if envAccount == "" {
			return cfg, fmt.Errorf("azblob: %s is set without %s", EnvKey, EnvAccount)
		}
		if cfg.Account != envAccount {
			return cfg, fmt.Errorf("azblob: %s is the key of account %q, not %q", EnvKey, envAccount, cfg.Account)
		}
		cfg.AccountKey = os.Getenv(EnvKey)
	case os.Getenv(EnvSASToken) != "":
		cfg.SASToken = os.Getenv(EnvSASToken)
	}
	return cfg, nil
}

// Remote is the storage.Remote of an Azure Blob Storage account. Its
// methods are safe for concurrent use.
type Remote struct {
	svc       *service.Client
	account   string
	container string // "" for a container per asset
	ctr       *container.Client
	prefix    string // "" or ending in "/"; only with a container
}

var _ storage.Remote = (*Remote)(nil)

// New returns the Remote of cfg's account. It sends no request: a missing
// container or refused credentials show at the first call.
func New(cfg Config) (*Remote, error) {
	n := 0
	for _, s := range []string{cfg.ConnectionString, cfg.AccountKey, cfg.SASToken} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return nil, errors.New("azblob: give one of a connection string, an account key and a SAS token")
	}
	account, endpoint, key, sas := cfg.Account, cfg.Endpoint, cfg.AccountKey, cfg.SASToken
	if cfg.ConnectionString != "" {
		cs, err := parseConnectionString(cfg.ConnectionString)
		if err != nil {
			return nil, err
		}
		switch {
		case account == "":
			account = cs.account
		case cs.account != "" && cs.account != account:
			return nil, fmt.Errorf("azblob: the connection string is for account %q, not %q", cs.account, account)
		}
		if endpoint == "" {
			endpoint = cs.endpoint
		}
		key, sas = cs.key, cs.sas
	}
	if !validAccount(account) {
		return nil, fmt.Errorf("azblob: account %q: 3 to 24 lowercase letters and digits", account)
	}
	if endpoint == "" {
		endpoint = "https://" + account + ".blob.core.windows.net"
	}
	u, err := parseEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	endpoint = strings.TrimSuffix(u.String(), "/") + "/"
	if cfg.Container != "" && !validContainer(cfg.Container) {
		return nil, fmt.Errorf("azblob: container %q: %w", cfg.Container, storage.ErrInvalidName)
	}
	prefix := strings.Trim(cfg.Prefix, "/")
	switch {
	case prefix != "" && cfg.Container == "":
		return nil, errors.New("azblob: a prefix needs a container")
	case prefix != "" && !storage.ValidName(prefix):
		return nil, fmt.Errorf("azblob: blob prefix %q: %w", prefix, storage.ErrInvalidName)
	case prefix != "":
		prefix += "/"
	}
	opts := &service.ClientOptions{ClientOptions: azcore.ClientOptions{
		// One attempt: the remote Store retries, with its own backoff
		// and deadline. (Below zero means no retry; zero is the
		// default, three.)
		Retry: policy.RetryOptions{MaxRetries: -1},
	}}
	var svc *service.Client
	switch {
	case key != "":
		cred, err := service.NewSharedKeyCredential(account, key)
		if err != nil {
			return nil, errors.New("azblob: the account key is not base64")
		}
		svc, err = service.NewClientWithSharedKeyCredential(endpoint, cred, opts)
		if err != nil {
			return nil, fmt.Errorf("azblob: %s: %v", u.Redacted(), storage.RedactQueries(err.Error()))
		}
	default:
		su := endpoint
		if sas = strings.TrimPrefix(sas, "?"); sas != "" {
			if _, err := url.ParseQuery(sas); err != nil {
				return nil, errors.New("azblob: the SAS token is not a URL query")
			}
			su += "?" + sas
		}
		svc, err = service.NewClientWithNoCredential(su, opts)
		if err != nil {
			return nil, fmt.Errorf("azblob: %s: %v", u.Redacted(), storage.RedactQueries(err.Error()))
		}
	}
	r := &Remote{svc: svc, account: account, container: cfg.Container, prefix: prefix}
	if r.container != "" {
		r.ctr = svc.NewContainerClient(r.container)
	}
	return r, nil
}

// parseEndpoint checks that ep is an http or https URL with a host, and
// no credentials or query.
func parseEndpoint(ep string) (*url.URL, error) {
	u, err := url.Parse(ep)
	if err != nil {
		return nil, errors.New("azblob: endpoint is not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("azblob: endpoint %s: the scheme must be http or https", u.Redacted())
	case u.Host == "":
		return nil, fmt.Errorf("azblob: endpoint %s: no host", u.Redacted())
	case u.User != nil || u.RawQuery != "":
		return nil, errors.New("azblob: endpoint: credentials (a SAS token too) do not belong in the endpoint URL")
	case u.Fragment != "":
		return nil, fmt.Errorf("azblob: endpoint %s: a fragment means nothing here", u.Redacted())
	}
	return u, nil
}

var (
	accountName   = regexp.MustCompile(`^[a-z0-9]{3,24}$`)
	containerName = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9]|-[a-z0-9]){2,62}$`)
)

func validAccount(s string) bool { return accountName.MatchString(s) }

// validContainer reports whether s may name a container: 3 to 63
// lowercase letters, digits and hyphens, a letter or digit at each end,
// no two hyphens together.
func validContainer(s string) bool { return len(s) <= 63 && containerName.MatchString(s) }

// connString is what a connection string says.
type connString struct {
	account, key, sas, endpoint string
}

// parseConnectionString reads an Azure Storage connection string
// ("Key=Value;…"). Its errors never quote it.
func parseConnectionString(s string) (connString, error) {
	kv := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return connString{}, errors.New("azblob: the connection string is not Key=Value pairs")
		}
		kv[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	if strings.EqualFold(kv["usedevelopmentstorage"], "true") {
		return connString{
			account:  "devstoreaccount1",
			key:      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
			endpoint: "http://127.0.0.1:10000/devstoreaccount1",
		}, nil
	}
	cs := connString{
		account:  kv["accountname"],
		key:      kv["accountkey"],
		sas:      kv["sharedaccesssignature"],
		endpoint: kv["blobendpoint"],
	}
	if cs.key != "" && cs.sas != "" {
		return connString{}, errors.New("azblob: the connection string has both an AccountKey and a SharedAccessSignature")
	}
	if cs.endpoint == "" {
		if cs.account == "" {
			return connString{}, errors.New("azblob: the connection string has neither AccountName nor BlobEndpoint")
		}
		proto, suffix := kv["defaultendpointsprotocol"], kv["endpointsuffix"]
		if proto == "" {
			proto = "https"
		}
		if suffix == "" {
			suffix = "core.windows.net"
		}
		cs.endpoint = proto + "://" + cs.account + ".blob." + suffix
	}
	if cs.key != "" && cs.account == "" {
		return connString{}, errors.New("azblob: the connection string has an AccountKey without its AccountName")
	}
	return cs, nil
}

// ParseURL parses a storage root of the form
//
//	azblob://account[/container[/prefix]][?endpoint=URL]
//
// into a Config without credentials (FromEnv adds them; a root is logged
// and must not hold them). Any other query key is an error.
func ParseURL(root string) (Config, error) {
	u, err := url.Parse(root)
	if err != nil {
		// url.Parse's error quotes the whole root: keep only its reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Config{}, fmt.Errorf("azblob: root is not a URL: %w", err)
	}
	if u.Scheme != "azblob" {
		return Config{}, fmt.Errorf("azblob: root %s: the scheme must be azblob", u.Redacted())
	}
	if u.User != nil {
		return Config{}, errors.New("azblob: root: credentials do not belong in the root URL")
	}
	if u.Opaque != "" || u.Host == "" {
		return Config{}, fmt.Errorf("azblob: root %s: want azblob://account[/container[/prefix]]", u.Redacted())
	}
	if u.Fragment != "" {
		return Config{}, fmt.Errorf("azblob: root %s: a fragment means nothing here", u.Redacted())
	}
	cfg := Config{Account: u.Host}
	cfg.Container, cfg.Prefix, _ = strings.Cut(strings.Trim(u.Path, "/"), "/")
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Config{}, fmt.Errorf("azblob: root %s: query: %w", u.Redacted(), err)
	}
	for k, vs := range q {
		if len(vs) != 1 {
			return Config{}, fmt.Errorf("azblob: root: %s given %d times", k, len(vs))
		}
		switch k {
		case "endpoint":
			if _, err := parseEndpoint(vs[0]); err != nil {
				return Config{}, err
			}
			cfg.Endpoint = vs[0]
		default:
			return Config{}, fmt.Errorf("azblob: root: unknown query key %q (want endpoint)", k)
		}
	}
	if !validAccount(cfg.Account) {
		return Config{}, fmt.Errorf("azblob: root: account %q: 3 to 24 lowercase letters and digits", cfg.Account)
	}
	if cfg.Container != "" && !validContainer(cfg.Container) {
		return Config{}, fmt.Errorf("azblob: root: container %q: %w", cfg.Container, storage.ErrInvalidName)
	}
	if cfg.Prefix != "" && !storage.ValidName(cfg.Prefix) {
		return Config{}, fmt.Errorf("azblob: root: blob prefix %q: %w", cfg.Prefix, storage.ErrInvalidName)
	}
	return cfg, nil
}

// where maps a Store name to its container and blob. ok is false when the
// layout cannot hold such an object (see the package doc).
func (r *Remote) where(name string) (ctr, blobName string, ok bool) {
	if r.container != "" {
		return r.container, r.prefix + name, true
	}
	ctr, blobName, _ = strings.Cut(name, "/")
	return ctr, blobName, validContainer(ctr) && blobName != ""
}

// Locate returns azblob://account/container/blob.
func (r *Remote) Locate(name string) string {
	ctr, b, _ := r.where(name)
	if b == "" {
		return "azblob://" + r.account + "/" + ctr
	}
	return "azblob://" + r.account + "/" + ctr + "/" + b
}

// blobClient returns the client of the named blob, or an ErrInvalidName
// error.
func (r *Remote) blobClient(op, name string) (*blob.Client, error) {
	if !storage.ValidName(name) {
		return nil, r.invalid(op, name)
	}
	ctr, b, ok := r.where(name)
	if !ok {
		return nil, r.invalid(op, name)
	}
	c := r.ctr
	if c == nil {
		c = r.svc.NewContainerClient(ctr)
	}
	return c.NewBlobClient(b), nil
}

// Stat returns the blob's size and its ETag, without quotes.
func (r *Remote) Stat(ctx context.Context, name string) (int64, string, error) {
	bc, err := r.blobClient("stat", name)
	if err != nil {
		return 0, "", err
	}
	p, err := bc.GetProperties(ctx, nil)
	if err != nil {
		return 0, "", fail("stat", r.Locate(name), err)
	}
	if p.ContentLength == nil || p.ETag == nil || *p.ETag == "" {
		return 0, "", &Error{Service: serviceName, Op: "stat", Location: r.Locate(name), Status: http.StatusOK, Code: "NoETagOrLength"}
	}
	return *p.ContentLength, strings.Trim(string(*p.ETag), `"`), nil
}

// ReadRange returns the body of a ranged download with If-Match on
// version. DownloadStream returns once the response's headers are in, so
// a missing blob (ErrNotFound) and a replaced one (ErrChanged) are errors
// of ReadRange itself. The body is the response's (no SDK retry reader);
// it is bound to ctx.
func (r *Remote) ReadRange(ctx context.Context, name, version string, off, n int64) (io.ReadCloser, error) {
	bc, err := r.blobClient("read", name)
	if err != nil {
		return nil, err
	}
	if off < 0 || n < 0 {
		return nil, &Error{Service: serviceName, Op: "read", Location: r.Locate(name), Code: fmt.Sprintf("BadRange(%d,%d)", off, n)}
	}
	if n == 0 {
		// A Count of 0 would mean "to the end".
		return io.NopCloser(strings.NewReader("")), nil
	}
	opts := &blob.DownloadStreamOptions{Range: blob.HTTPRange{Offset: off, Count: n}}
	if version != "" {
		etag := azcore.ETag(`"` + version + `"`)
		opts.AccessConditions = &blob.AccessConditions{
			ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &etag},
		}
	}
	resp, err := bc.DownloadStream(ctx, opts)
	if err != nil {
		return nil, fail("read", r.Locate(name), err)
	}
	if resp.Body == nil {
		// DownloadStream turns a 304 into a response without a body.
		return nil, &Error{Service: serviceName, Op: "read", Location: r.Locate(name), Status: http.StatusNotModified}
	}
	// A store that ignores the range answers the whole blob, right only
	// when the range starts at 0; a Content-Range must start at off.
	start, ok := int64(0), false
	if resp.ContentRange != nil {
		start, ok = rangeStart(*resp.ContentRange)
	}
	if ok && start != off || !ok && off != 0 {
		resp.Body.Close()
		return nil, &Error{Service: serviceName, Op: "read", Location: r.Locate(name), Code: "RangeNotAsAsked"}
	}
	return resp.Body, nil
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

// List lists what is directly under prefix ("" or "asset/"): blobs with
// their sizes and blob prefixes, or, for "" with a container per asset,
// the containers.
func (r *Remote) List(ctx context.Context, prefix string) ([]storage.Entry, error) {
	if prefix != "" && (!strings.HasSuffix(prefix, "/") || !storage.ValidName(prefix[:len(prefix)-1])) {
		return nil, r.invalid("list", prefix)
	}
	if r.container == "" && prefix == "" {
		return r.listContainers(ctx)
	}
	out, bp, loc, err := r.list(ctx, prefix, "")
	// The root and a container (an asset, when each is one) exist
	// while the container does, empty or not; a blob prefix with
	// nothing under it is nothing.
	if err == nil && len(out) == 0 && prefix != "" && bp != "" {
		return nil, &Error{Service: serviceName, Op: "list", Location: loc, Code: "NoSuchPrefix", Kind: storage.ErrNotFound}
	}
	return out, err
}

// ListPrefix lists the blobs directly under the directory prefix dir
// whose names start with start: one listing of the blob prefix dir+start
// (storage.RemotePrefixLister). Nothing there is an empty list. With a
// container per asset, dir must name one ("asset/…").
func (r *Remote) ListPrefix(ctx context.Context, dir, start string) ([]storage.Entry, error) {
	if dir != "" && (!strings.HasSuffix(dir, "/") || !storage.ValidName(dir[:len(dir)-1])) || strings.Contains(start, "/") ||
		r.container == "" && dir == "" {
		return nil, r.invalid("list", dir+start)
	}
	out, _, _, err := r.list(ctx, dir, start)
	if e := (*Error)(nil); errors.As(err, &e) && e.Code == "ContainerNotFound" && r.container == "" {
		return nil, nil // an asset not created yet
	}
	return out, err
}

// list lists what is directly under the directory prefix (not the root
// of a container per asset) whose names start with start. It returns the
// blob prefix of the directory in its container, and its location.
func (r *Remote) list(ctx context.Context, prefix, start string) (out []storage.Entry, bp, loc string, err error) {
	ctr, bp, c := r.container, r.prefix+prefix, r.ctr
	if c == nil {
		ctr, bp, _ = strings.Cut(prefix, "/")
		if !validContainer(ctr) {
			return nil, "", "", r.invalid("list", prefix)
		}
		c = r.svc.NewContainerClient(ctr)
	}
	loc = "azblob://" + r.account + "/" + ctr + "/" + bp
	opts := &container.ListBlobsHierarchyOptions{}
	if lp := bp + start; lp != "" {
		opts.Prefix = &lp
	}
	pager := c.NewListBlobsHierarchyPager("/", opts)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, bp, loc, fail("list", loc, err)
		}
		if page.Segment == nil {
			continue
		}
		for _, p := range page.Segment.BlobPrefixes {
			if p.Name == nil {
				continue
			}
			if name, ok := strings.CutPrefix(*p.Name, bp); ok {
				if name = strings.TrimSuffix(name, "/"); name != "" && !strings.Contains(name, "/") {
					out = append(out, storage.Entry{Name: name, Dir: true})
				}
			}
		}
		for _, b := range page.Segment.BlobItems {
			if b.Name == nil {
				continue
			}
			name, ok := strings.CutPrefix(*b.Name, bp)
			if !ok || name == "" || strings.Contains(name, "/") {
				continue // the prefix's own directory marker
			}
			var size int64
			if b.Properties != nil && b.Properties.ContentLength != nil {
				size = *b.Properties.ContentLength
			}
			out = append(out, storage.Entry{Name: name, Size: size})
		}
	}
	return out, bp, loc, nil
}

func (r *Remote) listContainers(ctx context.Context) ([]storage.Entry, error) {
	var out []storage.Entry
	pager := r.svc.NewListContainersPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fail("list", "azblob://"+r.account+"/", err)
		}
		for _, c := range page.ContainerItems {
			if c.Name != nil && (c.Deleted == nil || !*c.Deleted) {
				out = append(out, storage.Entry{Name: *c.Name, Dir: true})
			}
		}
	}
	return out, nil
}

func (r *Remote) invalid(op, name string) error {
	return &Error{Service: serviceName, Op: op, Location: r.Locate(name), Kind: storage.ErrInvalidName}
}

// Error is the error of a Remote call: see storage.RemoteError. Its text
// starts with "azblob: ".
type Error = storage.RemoteError

// service names the store in the text of its errors.
const serviceName = "azblob"

// fail classifies an error of the SDK.
func fail(op, loc string, err error) error {
	e := &Error{Service: serviceName, Op: op, Location: loc}
	var resp *azcore.ResponseError
	if errors.As(err, &resp) {
		e.Status = resp.StatusCode
		e.Code = storage.ErrorCode(resp.ErrorCode)
		switch {
		case resp.StatusCode == http.StatusNotFound:
			e.Kind = storage.ErrNotFound // BlobNotFound, ContainerNotFound, ResourceNotFound
		case resp.StatusCode == http.StatusPreconditionFailed:
			e.Kind = storage.ErrChanged // ConditionNotMet
		case resp.ErrorCode == "InvalidResourceName", resp.ErrorCode == "OutOfRangeInput":
			e.Kind = storage.ErrInvalidName
		}
		return e
	}
	return e.WithCause(err)
}
