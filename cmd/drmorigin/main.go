// Command drmorigin is the streaming origin, its management CLI and its
// test token minter. main only calls run, so tests can run it whole.
package main

import (
	"fmt"
	"os"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "drmorigin:", err)
		os.Exit(1)
	}
}
