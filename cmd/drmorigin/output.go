package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// The resource commands print a table for people by default, and the
// management API's JSON with -o json (for scripts: the same documents the
// API gives, indented, lists [] when empty).

// addOutputFlag gives cmd and its subcommands -o/--output.
func addOutputFlag(cmd *cobra.Command) {
	cmd.PersistentFlags().StringP("output", "o", "table", "output format: table or json")
}

// jsonOutput reports whether the command was asked for JSON; it fails on
// an -o it does not know.
func jsonOutput(cmd *cobra.Command) (bool, error) {
	f := cmd.Flags().Lookup("output")
	if f == nil {
		return false, nil
	}
	switch v := f.Value.String(); v {
	case "table", "":
		return false, nil
	case "json":
		return true, nil
	default:
		return false, fmt.Errorf("-o %q: want table or json", v)
	}
}

// tableFunc writes the table of one API document.
type tableFunc func(w io.Writer, doc []byte) error

// emit prints an API document as JSON or through table.
func emit(cmd *cobra.Command, doc []byte, table tableFunc) error {
	js, err := jsonOutput(cmd)
	if err != nil {
		return err
	}
	if js || table == nil {
		var v any
		if err := json.Unmarshal(doc, &v); err != nil {
			_, err = cmd.OutOrStdout().Write(doc)
			return err
		}
		return printJSON(cmd.OutOrStdout(), v)
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
	if err := table(tw, doc); err != nil {
		return fmt.Errorf("the management API's answer: %w", err)
	}
	return tw.Flush()
}

// row writes one tab-separated table row.
func row(w io.Writer, cells ...string) {
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}
