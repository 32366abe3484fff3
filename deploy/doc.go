// Package deploy holds no code: this directory holds the files that run
// drmorigin in production, and the tests that check them.
//
//   - Dockerfile (and Dockerfile.dockerignore): a multi-stage build of a
//     static binary onto distroless, running as a non-root user.
//   - systemd/drmorigin.service and systemd/drmorigin.env: a hardened unit
//     and its environment file.
//   - compose/compose.yaml, compose/env.example and compose/nginx/shield.conf:
//     two replicas, Redis, MinIO and an nginx shield cache.
//
// deploy_test.go validates each against what the binary accepts (its
// configuration keys), with systemd-analyze and nginx -t where installed,
// and runs the shield configuration in front of a real origin.
// docs/deployment.md explains them.
package deploy
