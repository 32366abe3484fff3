package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// configCmd is `drmorigin config`: every key with its YAML, environment
// and flag forms, default, current value and its source, secrets masked;
// then the warnings, and the problems that would stop serve (exit status
// 1 when there are any).
func configCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print every configuration key with its forms, default and current value, and check them",
		Long: configHelp + `

Secrets (admin.token, kek, kekPrevious) show only whether they are set;
credentials in URLs (user information, query values such as sig= or token=)
are masked. The exit status is 1 when serve would refuse the configuration.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadConfig(cmd.Flags())
			if c == nil {
				return err
			}
			printConfig(stdout, c)
			for _, w := range c.warnings {
				fmt.Fprintln(stdout, "warning:", w)
			}
			return errors.Join(err, c.checkServe())
		},
	}
}

func printConfig(w io.Writer, c *config) {
	file := c.file
	if file == "" {
		file = "none (--config or $" + configEnv + ")"
	}
	fmt.Fprintf(w, "configuration file: %s\n\n", file)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tENVIRONMENT\tFLAG\tDEFAULT\tVALUE\tFROM")
	for _, d := range defaults {
		fmt.Fprintf(tw, "%s\t%s\t--%s\t%s\t%s\t%s\n", d.key, envName(d.key), d.flag,
			orDash(d.def), orDash(displayValue(d.key, c.values[d.key])), c.sources[d.key])
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// displayValue is a value as it may be shown or logged.
func displayValue(key, v string) string {
	switch {
	case v == "":
		return ""
	case secretKeys[key]:
		return "(set)"
	case urlKeys[key]:
		return maskURL(v)
	}
	return v
}

// maskURL hides the credentials a URL may carry: its user information
// (user and password alike) and the values of query parameters whose names
// look like credentials (sig, token, key, secret, password, …). It works on
// the text, so that Redis URLs with several hosts are masked too.
func maskURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		rest = "***" + rest[at:]
	}
	base, query, ok := strings.Cut(rest, "?")
	if !ok {
		return scheme + "://" + rest
	}
	params := strings.Split(query, "&")
	for i, p := range params {
		name, _, hasValue := strings.Cut(p, "=")
		if hasValue && credentialLike(name) {
			params[i] = name + "=***"
		}
	}
	return scheme + "://" + base + "?" + strings.Join(params, "&")
}

// credentialLike reports whether a query parameter name looks like it
// carries a secret.
func credentialLike(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"sig", "token", "key", "secret", "pass", "pwd", "credential", "auth", "sas"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}
