package azblob

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"github.com/drmorigin/drmorigin/storage"
)

// The Remote writes too (storage.RemoteWriter): a live archive's objects,
// one Put Blob each, so that a remote Store over it is a storage.Writer.

var _ storage.RemoteWriter = (*Remote)(nil)

// PutObject stores b as a block blob with one Put Blob request (no blocks
// staged: a fragment is far below its single-request limit), carrying its
// MD5 so that the service refuses bytes damaged on the way. Azure answers
// 201 once the blob is stored durably, and reads and listings that follow
// see it.
//
// With a container per asset, the first object of a new asset (a live
// output's, which creates its asset) finds no container: the container is
// created, and the blob put again. With Config.Container set, a missing
// container is an error (ErrNotFound): the root is misconfigured.
func (r *Remote) PutObject(ctx context.Context, name string, b []byte) error {
	ctr, blobName, ok := r.where(name)
	if !storage.ValidName(name) || !ok {
		return r.invalid("put", name)
	}
	c := r.ctr
	if c == nil {
		c = r.svc.NewContainerClient(ctr)
	}
	bb := c.NewBlockBlobClient(blobName)
	sum := md5.Sum(b)
	ct := storage.ContentType(name)
	opts := &blockblob.UploadOptions{
		TransactionalValidation: blob.TransferValidationTypeMD5(sum[:]),
		HTTPHeaders:             &blob.HTTPHeaders{BlobContentType: &ct},
	}
	upload := func() error {
		_, err := bb.Upload(ctx, streaming.NopCloser(bytes.NewReader(b)), opts)
		return err
	}
	err := upload()
	if r.container == "" && errorCodeOf(err) == "ContainerNotFound" {
		if _, cerr := c.Create(ctx, nil); cerr != nil && errorCodeOf(cerr) != "ContainerAlreadyExists" {
			return fail("put", r.Locate(name), cerr)
		}
		err = upload()
	}
	if err != nil {
		return fail("put", r.Locate(name), err)
	}
	return nil
}

// RemoveObject deletes the blob (and its snapshots). A blob already gone
// is no error, nor is the container of an asset already gone (a container
// per asset); a missing Config.Container is one.
func (r *Remote) RemoveObject(ctx context.Context, name string) error {
	bc, err := r.blobClient("remove", name)
	if err != nil {
		return err
	}
	include := blob.DeleteSnapshotsOptionTypeInclude
	_, err = bc.Delete(ctx, &blob.DeleteOptions{DeleteSnapshots: &include})
	switch code := errorCodeOf(err); {
	case err == nil, code == "BlobNotFound", code == "ContainerNotFound" && r.container == "":
		return nil
	}
	return fail("remove", r.Locate(name), err)
}

// errorCode is the Azure error code of an SDK error ("" for none).
func errorCodeOf(err error) string {
	var resp *azcore.ResponseError
	if errors.As(err, &resp) {
		if resp.ErrorCode == "" && resp.StatusCode == http.StatusNotFound {
			return "NotFound"
		}
		return resp.ErrorCode
	}
	return ""
}
