package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/minio/minio-go/v7"

	"github.com/drmorigin/drmorigin/storage"
)

// The Remote writes too (storage.RemoteWriter): a live archive's objects,
// one PUT each, so that a remote Store over it is a storage.Writer.

var _ storage.RemoteWriter = (*Remote)(nil)

// PutObject stores b as the object's key with one PUT (never a multipart
// upload: a fragment is far below S3's 5 GiB single-PUT limit), carrying
// its MD5 (Content-MD5) and SHA-256 (signed) so that the store refuses
// bytes damaged on the way. S3 answers 200 once the object is stored
// durably, and reads and listings that follow see it.
func (r *Remote) PutObject(ctx context.Context, name string, b []byte) error {
	if !storage.ValidName(name) {
		return r.invalid("put", name)
	}
	m := md5.Sum(b)
	h := sha256.Sum256(b)
	_, err := r.core.PutObject(ctx, r.bucket, r.key(name), bytes.NewReader(b), int64(len(b)),
		base64.StdEncoding.EncodeToString(m[:]), hex.EncodeToString(h[:]),
		minio.PutObjectOptions{ContentType: storage.ContentType(name)})
	if err != nil {
		return r.fail("put", r.Locate(name), err)
	}
	return nil
}

// RemoveObject deletes the object's key. S3 answers 204 whether or not
// the key existed; a 404 for the key (some compatible stores) is no error
// either. A missing bucket is one.
func (r *Remote) RemoveObject(ctx context.Context, name string) error {
	if !storage.ValidName(name) {
		return r.invalid("remove", name)
	}
	err := r.core.RemoveObject(ctx, r.bucket, r.key(name), minio.RemoveObjectOptions{})
	if err == nil {
		return nil
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && resp.Code != "NoSuchBucket" && (resp.Code == "NoSuchKey" || resp.StatusCode == http.StatusNotFound) {
		return nil
	}
	return r.fail("remove", r.Locate(name), err)
}
