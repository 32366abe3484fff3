// Package azblob is the storage.Remote of an Azure Blob Storage account
// (or Azurite), through Microsoft's Go SDK. The caching, retries and
// timeouts are the remote Store's (storage.NewRemote); this package only
// maps Store names to containers and blobs and the Blob calls and their
// errors to the Remote contract.
//
// Layout, in one of two ways:
//
//   - Config.Container set: the assets are blob prefixes in that
//     container, under Config.Prefix: the Store name "asset/video.mp4" is
//     the blob prefix/asset/video.mp4, and directories are blob prefixes
//     (delimiter "/").
//   - Config.Container empty: each asset is a container of its name, the
//     account's top level. "asset-abc/video.mp4" is the blob video.mp4 in
//     the container asset-abc; List("") lists the containers. A name
//     whose first element cannot be a container's (3 to 63 lowercase
//     letters, digits and single hyphens, a letter or digit at each end),
//     or a name of one element (no blob in it), is ErrInvalidName: no such
//     object can exist, and the store was not asked. An empty container
//     lists as an empty directory.
//
// In both, a blob "directory" with nothing under it does not exist
// (ErrNotFound), nor does a container that is not there.
//
// Writes (storage.RemoteWriter, for the live archive): PutObject is one
// Put Blob with its MD5, RemoveObject one Delete Blob (a blob already
// gone is no error). With a container per asset, a put into a container
// that does not exist creates it (a live output's new asset).
//
// The object's version is its ETag (quotes stripped); ReadRange sends it
// back as If-Match, and Azure answers 412 ConditionNotMet once the blob
// was replaced (ErrChanged). A blob deleted since its Stat reads as
// ErrChanged too on Azurite (412, where S3 answers 404: ErrNotFound):
// the version is gone either way, and the next Stat says ErrNotFound.
//
// Credentials, one of: a connection string (AccountName, AccountKey or
// SharedAccessSignature, BlobEndpoint or DefaultEndpointsProtocol and
// EndpointSuffix, or UseDevelopmentStorage=true for Azurite), the
// account's shared key, or a SAS token; none for a public container.
// FromEnv takes them from AZURE_STORAGE_CONNECTION_STRING, or
// AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY, or AZURE_STORAGE_SAS_TOKEN.
//
// Errors are *Error values: the operation, the azblob:// location, the
// HTTP status and Azure error code, wrapping storage.ErrNotFound,
// ErrChanged or ErrInvalidName where they apply. They never carry a
// credential: not the SDK's error (which quotes the response body), not
// a request URL (whose query holds a SAS token's signature).
package azblob
