package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
)

// The live commands (live.md, "Resources"): live-event and live-output,
// thin over the management API as the other resource commands are.

func liveEventPath(name string) string { return "/api/v1/liveEvents/" + url.PathEscape(name) }

func liveOutputPath(event, name string) string {
	return liveEventPath(event) + "/liveOutputs/" + url.PathEscape(name)
}

// liveEventCmd is `drmorigin live-event create|get|list|start|stop|delete`.
func liveEventCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "live-event", Short: "Manage live events: where encoders send their feeds"}
	addOutputFlag(cmd)
	var token, file string
	create := &cobra.Command{
		Use:   "create NAME [--access-token T | -f FILE]",
		Short: "Create a live event (Stopped; the access token is generated unless given), or change a stopped one's token",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			fields := map[string]string{"name": fmt.Sprintf("NAME %q", a[0])}
			var body []byte
			if file != "" {
				if token != "" {
					return errors.New("live-event create: give -f FILE or --access-token, not both")
				}
				b, err := readInput(file, cmd.InOrStdin())
				if err != nil {
					return err
				}
				body = b
			} else {
				in := map[string]any{"streamingProtocol": "FragmentedMP4"}
				if token != "" {
					in["accessToken"] = token
					fields["input.accessToken"] = "--access-token"
				}
				body, _ = json.Marshal(map[string]any{"input": in})
			}
			return cliCall(cmd, http.MethodPut, liveEventPath(a[0]), body, liveEventTable, func(err error) error {
				if file != "" {
					return fileError(err, file, a[0])
				}
				return flagged(err, fields)
			})
		},
	}
	create.Flags().StringVar(&token, "access-token", "", "the ingest URL's secret path segment (A-Z a-z 0-9 - _ . ~; default: generated)")
	create.Flags().StringVarP(&file, "file", "f", "", "live event JSON file (- for stdin) instead of flags")
	cmd.AddCommand(create)
	cmd.AddCommand(&cobra.Command{
		Use: "get NAME", Short: "Show a live event: state, ingest URL, streams", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			return cliCall(cmd, http.MethodGet, liveEventPath(a[0]), nil, liveEventTable,
				func(err error) error { return nameError(err, "live event", a[0]) })
		},
	})
	for _, act := range []struct{ use, short string }{
		{"start", "Start a live event: encoders may then send to its ingest URL"},
		{"stop", "Stop a live event: its feeds end; its live outputs stay"},
	} {
		cmd.AddCommand(&cobra.Command{
			Use: act.use + " NAME", Short: act.short, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, a []string) error {
				return cliCall(cmd, http.MethodPost, liveEventPath(a[0])+"/"+act.use, nil, liveEventTable,
					func(err error) error { return nameError(err, "live event", a[0]) })
			},
		})
	}
	cmd.AddCommand(deleteCmd("a stopped live event without live outputs", "live event", liveEventPath))
	cmd.AddCommand(listCmd("liveEvents", liveEventListTable))
	return cmd
}

// liveOutputCmd is `drmorigin live-output create|get|list|delete`.
func liveOutputCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "live-output", Short: "Manage live outputs: a live event's feed archived into an asset"}
	addOutputFlag(cmd)
	var asset, manifest, window, file string
	create := &cobra.Command{
		Use:   "create EVENT NAME (--asset A --window PT1H [--manifest M] | -f FILE)",
		Short: "Create a live output: the event's feed archived into a new asset, live until the output is deleted",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, a []string) error {
			fields := map[string]string{"name": fmt.Sprintf("NAME %q", a[1])}
			var body []byte
			if file != "" {
				if asset != "" || manifest != "" || window != "" {
					return errors.New("live-output create: give -f FILE, or --asset, --window and --manifest, not both")
				}
				b, err := readInput(file, cmd.InOrStdin())
				if err != nil {
					return err
				}
				body = b
			} else {
				if asset == "" || window == "" {
					return errors.New("live-output create: give --asset and --window (an ISO 8601 duration such as PT1H), or -f FILE")
				}
				m := map[string]any{"assetName": asset, "archiveWindowLength": window}
				fields["assetName"] = flagValue("--asset", asset)
				fields["archiveWindowLength"] = flagValue("--window", window)
				if manifest != "" {
					m["manifestName"] = manifest
					fields["manifestName"] = flagValue("--manifest", manifest)
				}
				body, _ = json.Marshal(m)
			}
			return cliCall(cmd, http.MethodPut, liveOutputPath(a[0], a[1]), body, liveOutputTable, func(err error) error {
				if file != "" {
					err = fileError(err, file, a[1])
				} else {
					err = flagged(err, fields)
				}
				return notFound(err, "live event or live output", a[0])
			})
		},
	}
	create.Flags().StringVar(&asset, "asset", "", "the new asset the output archives into")
	create.Flags().StringVar(&window, "window", "", "archive window, ISO 8601, 1 minute to 25 hours: PT2M, PT1H, P1DT1H")
	create.Flags().StringVar(&manifest, "manifest", "", "manifest name in streaming URLs, {locator}/{manifest}.ism/manifest (default: the asset name)")
	create.Flags().StringVarP(&file, "file", "f", "", "live output JSON file (- for stdin) instead of flags")
	cmd.AddCommand(create)
	cmd.AddCommand(&cobra.Command{
		Use: "get EVENT NAME", Short: "Show a live output", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, a []string) error {
			return cliCall(cmd, http.MethodGet, liveOutputPath(a[0], a[1]), nil, liveOutputTable,
				func(err error) error { return notFound(err, "live output", a[0]+"/"+a[1]) })
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use: "delete EVENT NAME", Short: "Delete a live output: the live presentation ends, the asset stays as VOD", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, token, err := cliConfig(cmd)
			if err != nil {
				return err
			}
			if _, _, err := adminDo(cmd.Context(), c.AdminURL, token, http.MethodDelete, liveOutputPath(a[0], a[1]), nil); err != nil {
				return notFound(err, "live output", a[0]+"/"+a[1])
			}
			if js, err := jsonOutput(cmd); err != nil || js {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Deleted live output %s/%s; its asset stays.\n", a[0], a[1])
			return nil
		},
	})
	var top int
	list := &cobra.Command{
		Use: "list EVENT", Short: "List a live event's live outputs (follows nextLink)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			return notFound(listPaged(cmd, liveEventPath(a[0])+"/liveOutputs", top, liveOutputListTable), "live event", a[0])
		},
	}
	list.Flags().IntVar(&top, "top", 100, "page size of each request (1 to 1000)")
	cmd.AddCommand(list)
	return cmd
}

// listPaged prints a whole paged collection at path, following each
// page's nextLink (listCmd's and the live commands' list).
func listPaged(cmd *cobra.Command, path string, top int, table tableFunc) error {
	if _, err := jsonOutput(cmd); err != nil {
		return err
	}
	if top < 1 || top > 1000 {
		return fmt.Errorf("--top %d: want a page size from 1 to 1000", top)
	}
	c, token, err := cliConfig(cmd)
	if err != nil {
		return err
	}
	all := []json.RawMessage{}
	next := fmt.Sprintf("%s?$top=%d", path, top)
	for i := 0; next != "" && i < 100000; i++ {
		var page struct {
			Value    []json.RawMessage `json:"value"`
			NextLink string            `json:"nextLink"`
		}
		if err := adminCall(cmd.Context(), c.AdminURL, token, http.MethodGet, next, nil, &page); err != nil {
			return flagged(err, map[string]string{"$top": flagValue("--top", strconv.Itoa(top))})
		}
		all = append(all, page.Value...)
		next = page.NextLink
	}
	doc, err := json.Marshal(map[string]any{"value": all})
	if err != nil {
		return err
	}
	return emit(cmd, doc, table)
}

// deleteCmd deletes the resource NAME names at path(NAME).
func deleteCmd(short, what string, path func(string) string) *cobra.Command {
	return &cobra.Command{
		Use: "delete NAME", Short: "Delete " + short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, token, err := cliConfig(cmd)
			if err != nil {
				return err
			}
			if _, _, err := adminDo(cmd.Context(), c.AdminURL, token, http.MethodDelete, path(a[0]), nil); err != nil {
				return nameError(err, what, a[0])
			}
			if js, err := jsonOutput(cmd); err != nil || js {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Deleted %s %s.\n", what, a[0])
			return nil
		},
	}
}

type liveEventDoc struct {
	Name  string `json:"name"`
	Input struct {
		StreamingProtocol string `json:"streamingProtocol"`
		AccessToken       string `json:"accessToken"`
		IngestURL         string `json:"ingestUrl"`
	} `json:"input"`
	ResourceState string `json:"resourceState"`
	Streams       []struct {
		Name             string `json:"name"`
		LastFragmentTime string `json:"lastFragmentTime"`
		Bitrate          int    `json:"bitrate"`
	} `json:"streams"`
}

type liveOutputDoc struct {
	Name                string `json:"name"`
	AssetName           string `json:"assetName"`
	ManifestName        string `json:"manifestName"`
	ArchiveWindowLength string `json:"archiveWindowLength"`
}

func liveEventTable(w io.Writer, doc []byte) error {
	var e liveEventDoc
	if err := json.Unmarshal(doc, &e); err != nil {
		return err
	}
	row(w, "Name:", e.Name)
	row(w, "State:", e.ResourceState)
	row(w, "Protocol:", e.Input.StreamingProtocol)
	row(w, "Ingest URL:", e.Input.IngestURL+"/Streams({stream})")
	if len(e.Streams) == 0 {
		row(w, "Streams:", "none")
		return nil
	}
	fmt.Fprintln(w)
	row(w, "STREAM", "LAST FRAGMENT", "BITRATE")
	for _, s := range e.Streams {
		row(w, s.Name, orDash(s.LastFragmentTime), strconv.Itoa(s.Bitrate))
	}
	return nil
}

func liveEventListTable(w io.Writer, doc []byte) error {
	var l struct{ Value []liveEventDoc }
	if err := json.Unmarshal(doc, &l); err != nil {
		return err
	}
	row(w, "NAME", "STATE", "STREAMS", "INGEST URL")
	for _, e := range l.Value {
		row(w, e.Name, e.ResourceState, strconv.Itoa(len(e.Streams)), e.Input.IngestURL)
	}
	return nil
}

func liveOutputTable(w io.Writer, doc []byte) error {
	var o liveOutputDoc
	if err := json.Unmarshal(doc, &o); err != nil {
		return err
	}
	row(w, "Name:", o.Name)
	row(w, "Asset:", o.AssetName)
	row(w, "Manifest:", o.ManifestName)
	row(w, "Archive window:", o.ArchiveWindowLength)
	return nil
}

func liveOutputListTable(w io.Writer, doc []byte) error {
	var l struct{ Value []liveOutputDoc }
	if err := json.Unmarshal(doc, &l); err != nil {
		return err
	}
	row(w, "NAME", "ASSET", "MANIFEST", "ARCHIVE WINDOW")
	for _, o := range l.Value {
		row(w, o.Name, o.AssetName, o.ManifestName, o.ArchiveWindowLength)
	}
	return nil
}
