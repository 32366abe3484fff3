package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// filterCmd is the put/get/delete/list family of asset filters
// (asset=true: every command takes --asset) or account filters.
func filterCmd(asset bool) *cobra.Command {
	use, what := "account-filter", "account filter"
	if asset {
		use, what = "asset-filter", "asset filter"
	}
	cmd := &cobra.Command{Use: use, Short: "Manage " + what + "s (players.md, \"Dynamic filters\")"}
	addOutputFlag(cmd)
	var assetName string
	if asset {
		cmd.PersistentFlags().StringVar(&assetName, "asset", "", "the asset the filters belong to")
		_ = cmd.MarkPersistentFlagRequired("asset")
	}
	collection := func() string {
		if asset {
			return "/api/v1/assets/" + url.PathEscape(assetName) + "/assetFilters"
		}
		return "/api/v1/accountFilters"
	}
	errOf := func(err error, name string) error {
		if asset {
			err = flagged(err, map[string]string{"asset": flagValue("--asset", assetName)})
		}
		return nameError(err, what, name)
	}
	var file string
	put := &cobra.Command{
		Use: "put NAME -f FILE", Short: "Create or replace from a JSON file (- for stdin)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			body, err := readInput(file, cmd.InOrStdin())
			if err != nil {
				return err
			}
			return cliCall(cmd, http.MethodPut, collection()+"/"+url.PathEscape(a[0]), body, filterTable,
				func(err error) error { return fileError(errOf(err, a[0]), file, a[0]) })
		},
	}
	put.Flags().StringVarP(&file, "file", "f", "", "filter JSON file (- for stdin)")
	_ = put.MarkFlagRequired("file")
	cmd.AddCommand(put)
	cmd.AddCommand(&cobra.Command{
		Use: "get NAME", Short: "Print one", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			return cliCall(cmd, http.MethodGet, collection()+"/"+url.PathEscape(a[0]), nil, filterTable,
				func(err error) error { return errOf(err, a[0]) })
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use: "delete NAME", Short: "Delete one (URLs naming it answer 404 at once)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, token, err := cliConfig(cmd)
			if err != nil {
				return err
			}
			if _, _, err := adminDo(cmd.Context(), c.AdminURL, token, http.MethodDelete, collection()+"/"+url.PathEscape(a[0]), nil); err != nil {
				return errOf(err, a[0])
			}
			if js, err := jsonOutput(cmd); err != nil || js {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Deleted %s %s.\n", what, a[0])
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use: "list", Short: "List all (follows nextLink)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := jsonOutput(cmd); err != nil {
				return err
			}
			c, token, err := cliConfig(cmd)
			if err != nil {
				return err
			}
			all := []json.RawMessage{}
			for next := collection() + "?$top=1000"; next != ""; {
				var page struct {
					Value    []json.RawMessage `json:"value"`
					NextLink string            `json:"nextLink"`
				}
				if err := adminCall(cmd.Context(), c.AdminURL, token, http.MethodGet, next, nil, &page); err != nil {
					return errOf(err, "")
				}
				all = append(all, page.Value...)
				next = page.NextLink
			}
			doc, err := json.Marshal(map[string]any{"value": all})
			if err != nil {
				return err
			}
			return emit(cmd, doc, filterListTable)
		},
	})
	return cmd
}

type filterDoc struct {
	PresentationTimeRange *struct {
		StartTimestamp, EndTimestamp, Timescale *uint64
	} `json:"presentationTimeRange"`
	FirstQuality *struct{ Bitrate int64 } `json:"firstQuality"`
	Tracks       []struct {
		TrackSelections []struct{ Property, Operation, Value string } `json:"trackSelections"`
	} `json:"tracks"`
}

// summary is one line per part of the filter.
func (f *filterDoc) summary() (tracks, times, first string) {
	var groups []string
	for _, g := range f.Tracks {
		var sels []string
		for _, s := range g.TrackSelections {
			op := "="
			if s.Operation == "NotEqual" {
				op = "!="
			}
			sels = append(sels, s.Property+op+s.Value)
		}
		groups = append(groups, "("+strings.Join(sels, " and ")+")")
	}
	tracks = "all"
	if len(groups) > 0 {
		tracks = strings.Join(groups, " or ")
	}
	times = "all"
	if r := f.PresentationTimeRange; r != nil {
		u := func(v *uint64, none string) string {
			if v == nil {
				return none
			}
			return strconv.FormatUint(*v, 10)
		}
		times = u(r.StartTimestamp, "start") + ".." + u(r.EndTimestamp, "end") + " @" + u(r.Timescale, "10000000")
	}
	first = "-"
	if f.FirstQuality != nil {
		first = strconv.FormatInt(f.FirstQuality.Bitrate, 10)
	}
	return tracks, times, first
}

func filterTable(w io.Writer, doc []byte) error {
	var f filterDoc
	if err := json.Unmarshal(doc, &f); err != nil {
		return err
	}
	tracks, times, first := f.summary()
	row(w, "Tracks:", tracks)
	row(w, "Time range:", times)
	row(w, "First quality:", first)
	return nil
}

func filterListTable(w io.Writer, doc []byte) error {
	var l struct {
		Value []struct {
			Name       string
			Properties filterDoc
		}
	}
	if err := json.Unmarshal(doc, &l); err != nil {
		return err
	}
	row(w, "NAME", "TRACKS", "TIME RANGE", "FIRST QUALITY")
	for _, x := range l.Value {
		tracks, times, first := x.Properties.summary()
		row(w, x.Name, tracks, times, first)
	}
	return nil
}
