package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// apiError is an error answer of the management API:
// {"error":{"code","message","target"}}.
type apiError struct {
	Method, Path string
	Status       int
	Code         string
	Message      string
	// Target is the JSON field at fault ("assetName",
	// "contentKeys[1].value"), when the API names one.
	Target string
}

func (e *apiError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	}
	s := fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Code, e.Message)
	if e.Target != "" {
		s += " (" + e.Target + ")"
	}
	return s
}

// adminDo makes one management API request and returns the answer's
// header and body; an error answer is an *apiError.
func adminDo(ctx context.Context, adminURL, token, method, path string, body []byte) (http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(adminURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("management API: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("management API: %w", err)
	}
	if resp.StatusCode >= 300 {
		e := &apiError{Method: method, Path: path, Status: resp.StatusCode}
		var doc struct {
			Error struct{ Code, Message, Target string } `json:"error"`
		}
		if json.Unmarshal(data, &doc) == nil {
			e.Code, e.Message, e.Target = doc.Error.Code, doc.Error.Message, doc.Error.Target
		}
		return resp.Header, nil, e
	}
	return resp.Header, data, nil
}

// warning is the text of a Warning header ("199 drmorigin \"…\""), or "".
func warning(h http.Header) string {
	w := h.Get("Warning")
	if w == "" {
		return ""
	}
	if i := strings.IndexByte(w, '"'); i >= 0 {
		if s, err := strconv.Unquote(w[i:]); err == nil {
			return s
		}
	}
	return w
}

// flagged turns an API error about a field into one about what the user
// typed for it: fields maps JSON fields (the error's target) to the flag or
// argument that gave them, with its value ("--asset \"bbb\""). Other
// errors pass as they are.
func flagged(err error, fields map[string]string) error {
	var ae *apiError
	if !errors.As(err, &ae) || ae.Target == "" {
		return err
	}
	what, ok := fields[ae.Target]
	if !ok {
		return err
	}
	return fmt.Errorf("%s: %s (%d %s)", what, ae.Message, ae.Status, ae.Code)
}

// notFound turns a 404 of the management API about the resource the
// user named into a sentence that names it.
func notFound(err error, what, name string) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return fmt.Errorf("no %s named %q (%d %s)", what, name, ae.Status, ae.Code)
	}
	return err
}

// flagValue is how a flag and its value are named in messages.
func flagValue(flag, value string) string { return fmt.Sprintf("%s %q", flag, value) }
