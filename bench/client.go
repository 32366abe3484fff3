package bench

import (
	"bytes"
	"errors"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// Client fetches URLs and records each request in a Recorder. It is safe for
// concurrent use; each call owns its request and response.
type Client struct {
	// HTTP is the fasthttp client; NewClient sizes it.
	HTTP *fasthttp.Client
	// Rec receives every request.
	Rec *Recorder
	// Token is sent as "Authorization: Bearer …" on key and license requests.
	Token string
	// Timeout bounds one request.
	Timeout time.Duration
}

// NewClient returns a client with up to conns connections per host.
func NewClient(rec *Recorder, conns int) *Client {
	if conns <= 0 {
		conns = 64
	}
	return &Client{
		HTTP: &fasthttp.Client{
			Name:                "drmbench",
			MaxConnsPerHost:     conns,
			MaxIdleConnDuration: 90 * time.Second,
			ReadTimeout:         30 * time.Second,
			WriteTimeout:        30 * time.Second,
			MaxConnWaitTimeout:  30 * time.Second,
			ReadBufferSize:      16 << 10,
		},
		Rec:     rec,
		Timeout: 30 * time.Second,
	}
}

// Close closes the client's idle connections: a measurement that is done
// must not leave its connections (and what the server holds for them)
// behind for the next one.
func (c *Client) Close() { c.HTTP.CloseIdleConnections() }

// Result is one fetched response.
type Result struct {
	Status int
	Body   []byte // a copy the caller owns (nil when discard was asked)
	Size   int
	Err    string // "" or the error class recorded
}

// errClassFor maps a status to an error class ("" for 2xx).
func errClassFor(status int) string {
	if status >= 200 && status < 300 {
		return ""
	}
	return strconv.Itoa(status)
}

// Validator checks a 2xx body; false records ErrInvalid.
type Validator func(body []byte) bool

// Get fetches url and records it as kind k. With keep the body is copied
// into the result. valid, when not nil, checks a 2xx body.
func (c *Client) Get(k Kind, url string, keep bool, valid Validator) Result {
	return c.do(k, fasthttp.MethodGet, url, nil, "", keep, valid)
}

// Post sends body to url (a license request) and records it as kind k.
func (c *Client) Post(k Kind, url string, body []byte, contentType string, keep bool) Result {
	return c.do(k, fasthttp.MethodPost, url, body, contentType, keep, nil)
}

func (c *Client) do(k Kind, method, url string, body []byte, contentType string, keep bool, valid Validator) Result {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(url)
	req.Header.SetMethod(method)
	if body != nil {
		req.SetBody(body)
		req.Header.SetContentType(contentType)
	}
	if k == KindKey && c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	began := time.Now()
	err := c.HTTP.DoTimeout(req, resp, c.Timeout)
	lat := time.Since(began)
	var r Result
	if err != nil {
		r.Err = ErrTransport
		if errors.Is(err, fasthttp.ErrBodyTooLarge) {
			r.Err = ErrInvalid
		}
		c.Rec.Add(k, began, lat, 0, r.Err)
		return r
	}
	b := resp.Body()
	r.Status = resp.StatusCode()
	r.Size = len(b)
	r.Err = errClassFor(r.Status)
	if r.Err == "" && valid != nil && !valid(b) {
		r.Err = ErrInvalid
	}
	if keep {
		r.Body = bytes.Clone(b)
	}
	c.Rec.Add(k, began, lat, len(b), r.Err)
	return r
}

// ValidMedia accepts an MP4 fragment or init segment (a sequence of boxes
// starting with a known type) or an MPEG-2 TS segment (sync bytes every 188).
func ValidMedia(b []byte) bool {
	if len(b) >= 188 && b[0] == 0x47 {
		for i := 0; i+188 <= len(b) && i < 188*8; i += 188 {
			if b[i] != 0x47 {
				return false
			}
		}
		return true
	}
	if len(b) < 8 {
		return false
	}
	size := int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if size < 8 && size != 1 {
		return false
	}
	switch string(b[4:8]) {
	case "ftyp", "styp", "moof", "moov", "sidx", "emsg", "prft", "uuid", "free", "mdat":
		return size <= len(b) || size == 1
	}
	return false
}

// ValidAny accepts any non-empty body (whole-segment encrypted media).
func ValidAny(b []byte) bool { return len(b) > 0 }
