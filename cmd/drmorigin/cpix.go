package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

// locatorCPIXCmd is `drmorigin locator cpix NAME --recipient R…`: the
// locator's keys as a CPIX document on stdout, encrypted for the named
// recipients (exchange.md).
func locatorCPIXCmd() *cobra.Command {
	var recipients []string
	cmd := &cobra.Command{
		Use:   "cpix NAME --recipient R [--recipient R2]",
		Short: "Print a locator's keys as a CPIX 2.3 document encrypted for registered recipients",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			if len(recipients) == 0 {
				return fmt.Errorf("--recipient: name at least one CPIX recipient (drmorigin cpix-recipient list)")
			}
			q := url.Values{"recipient": recipients}
			c, token, err := cliConfig(cmd)
			if err != nil {
				return err
			}
			_, data, err := adminDo(cmd.Context(), c.AdminURL, token, http.MethodGet,
				"/api/v1/streamingLocators/"+url.PathEscape(a[0])+"/cpix?"+q.Encode(), nil)
			if err != nil {
				return notFound(flagged(err, map[string]string{"name": fmt.Sprintf("NAME %q", a[0]), "recipient": "--recipient"}), "streaming locator", a[0])
			}
			_, err = cmd.OutOrStdout().Write(data)
			return err
		},
	}
	cmd.Flags().StringArrayVar(&recipients, "recipient", nil, "a registered CPIX recipient (repeat for several)")
	return cmd
}

// cpixRecipientCmd manages CPIX recipients; `self` prints this origin's
// own recipient certificate, which documents for import are encrypted for.
func cpixRecipientCmd() *cobra.Command {
	cmd := resourceCmd(resource{use: "cpix-recipient", collection: "cpixRecipients", what: "CPIX recipient",
		plural: "CPIX recipients", table: recipientTable, listTable: recipientListTable})
	cmd.AddCommand(&cobra.Command{
		Use: "self", Short: "Print this origin's own CPIX recipient certificate (PEM)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, token, err := cliConfig(cmd)
			if err != nil {
				return err
			}
			_, data, err := adminDo(cmd.Context(), c.AdminURL, token, http.MethodGet, "/api/v1/cpixRecipient", nil)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(data)
			return err
		},
	})
	return cmd
}

type recipientDoc struct {
	Name        string `json:"name"`
	Certificate string `json:"certificate"`
}

// subjectOf names a recipient's certificate: subject and expiry.
func subjectOf(p string) (string, string) {
	blk, _ := pem.Decode([]byte(p))
	if blk == nil {
		return "-", "-"
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return "-", "-"
	}
	return c.Subject.String(), c.NotAfter.UTC().Format("2006-01-02")
}

func recipientTable(w io.Writer, doc []byte) error {
	var r recipientDoc
	if err := json.Unmarshal(doc, &r); err != nil {
		return err
	}
	s, exp := subjectOf(r.Certificate)
	row(w, "NAME", "SUBJECT", "EXPIRES")
	row(w, r.Name, s, exp)
	return nil
}

func recipientListTable(w io.Writer, doc []byte) error {
	var l struct{ Value []recipientDoc }
	if err := json.Unmarshal(doc, &l); err != nil {
		return err
	}
	row(w, "NAME", "SUBJECT", "EXPIRES")
	for _, r := range l.Value {
		s, exp := subjectOf(r.Certificate)
		row(w, r.Name, s, exp)
	}
	return nil
}
