// Package s3 is the storage.Remote of an S3 bucket: Amazon S3 or any
// store that speaks its API (MinIO, Ceph RGW, Cloudflare R2, …), through
// minio-go. The caching, retries and timeouts are the remote Store's
// (storage.NewRemote); this package only maps Store names to keys and
// the S3 calls and their errors to the Remote contract.
//
// Layout: the root is a bucket and a key prefix ("media", possibly ""). An
// asset is the key prefix prefix/{asset}/, and the Store name
// "asset/video.mp4" is the key prefix/asset/video.mp4. Directories are
// common prefixes (delimiter "/"): List("") lists the assets (and any
// object directly under the prefix), List("asset/") an asset's objects
// with their sizes and its sub-prefixes. A "directory" with nothing under
// it does not exist (ErrNotFound), as in S3 itself; an empty root is an
// empty list while the bucket exists.
//
// Writes (storage.RemoteWriter, for the live archive): PutObject is one
// PUT with Content-MD5 and a signed SHA-256, RemoveObject one DELETE (a
// key already gone is no error).
//
// The object's version is its ETag, which If-Match compares on every
// S3-compatible store, with or without bucket versioning (see Stat).
//
// Credentials: Config.AccessKey and SecretKey when given, else the AWS
// credential chain of minio-go: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
// (and AWS_SESSION_TOKEN), MINIO_ROOT_USER/MINIO_ROOT_PASSWORD (or
// MINIO_ACCESS_KEY/MINIO_SECRET_KEY), the shared credentials file
// (~/.aws/credentials, AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE), then
// the instance or container role (IMDS, ECS, EKS web identity). With none
// of them requests go unsigned (a public bucket).
//
// Errors are *Error values: the operation, the s3:// location, the HTTP
// status and S3 error code, wrapping storage.ErrNotFound, ErrChanged or
// ErrInvalidName where they apply. They never carry a credential nor
// the text of the store's response body.
package s3
