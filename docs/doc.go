// Package docs holds no code: this directory is the operator's
// documentation (README.md lists the pages), and readme_test.go, which
// runs the repository README's commands on a fresh clone.
package docs
