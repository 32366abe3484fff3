package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// run builds the command tree and executes it with args.
func run(args []string, stdout, stderr io.Writer) error {
	root := &cobra.Command{
		Use:           "drmorigin",
		Short:         "A streaming origin that packages and encrypts fMP4 assets on the fly",
		Long:          "drmorigin packages and encrypts MP4 assets on the fly, delivers their keys and manages locators.\n\n" + configHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	bindConfig(root.PersistentFlags())

	var demo bool
	serveCmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the origin, key delivery and the management API",
		Long: `serve runs the origin, key delivery and the management API.
SIGHUP reloads log.level, cache.manifestControl and keys.allowedOrigins;
SIGTERM and SIGINT drain requests in flight within shutdown.timeout.

` + configHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Before anything else: SIGHUP's default action kills.
			sigs := make(chan os.Signal, 4)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer signal.Stop(sigs)
			c, err := loadConfig(cmd.Flags())
			if err != nil {
				if c != nil { // every problem at once
					printWarnings(stderr, c)
					err = errors.Join(err, c.checkServe())
				}
				return err
			}
			return serve(cmd.Context(), c, serveOptions{demo: demo, stdout: stdout, stderr: stderr, signals: sigs,
				reload: func() (*config, error) { return loadConfig(cmd.Flags()) }})
		},
	}
	serveCmd.Flags().BoolVar(&demo, "demo", false, "publish every asset under the storage root under a demo locator and print its URLs")
	root.AddCommand(serveCmd)

	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run:   func(*cobra.Command, []string) { fmt.Fprintln(stdout, "drmorigin", version) },
	})

	locator := resourceCmd(resource{use: "locator", collection: "streamingLocators", what: "streaming locator",
		plural: "streaming locators", table: locatorTable, listTable: locatorListTable})
	locator.AddCommand(locatorCreateCmd())
	locator.AddCommand(actionCmd("paths", "listPaths", "Print the streaming paths of a locator", pathsTable))
	locator.AddCommand(actionCmd("keys", "listContentKeys", "Print a locator's content keys, with their values", contentKeysTable))
	locator.AddCommand(locatorCPIXCmd())
	root.AddCommand(locator)
	root.AddCommand(cpixRecipientCmd())
	root.AddCommand(resourceCmd(resource{use: "content-key-policy", collection: "contentKeyPolicies", what: "content key policy",
		plural: "content key policies", table: contentKeyPolicyTable, listTable: contentKeyPolicyListTable}))
	root.AddCommand(resourceCmd(resource{use: "streaming-policy", collection: "streamingPolicies", what: "streaming policy",
		plural: "streaming policies", table: streamingPolicyTable, listTable: streamingPolicyListTable}))

	root.AddCommand(tokenCmd())
	root.AddCommand(configCmd(stdout))
	root.AddCommand(kekCmd(stdout))
	root.AddCommand(assetCmd())
	root.AddCommand(filterCmd(true))
	root.AddCommand(filterCmd(false))
	root.AddCommand(liveEventCmd())
	root.AddCommand(liveOutputCmd())

	return root.ExecuteContext(context.Background())
}

// resource describes one management collection for resourceCmd.
type resource struct {
	use, collection string
	what, plural    string // "streaming locator", "streaming locators"
	table           tableFunc
	listTable       tableFunc
}

// resourceCmd is the put/get/delete/list family of one management resource.
func resourceCmd(r resource) *cobra.Command {
	cmd := &cobra.Command{Use: r.use, Short: "Manage " + r.plural}
	addOutputFlag(cmd)
	var file string
	put := &cobra.Command{
		Use: "put NAME -f FILE", Short: "Create or update from a JSON file (- for stdin)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			body, err := readInput(file, cmd.InOrStdin())
			if err != nil {
				return err
			}
			return cliCall(cmd, http.MethodPut, "/api/v1/"+r.collection+"/"+url.PathEscape(a[0]), body, r.table,
				func(err error) error { return fileError(err, file, a[0]) })
		},
	}
	put.Flags().StringVarP(&file, "file", "f", "", "JSON file (- for stdin)")
	_ = put.MarkFlagRequired("file")
	cmd.AddCommand(put)
	cmd.AddCommand(&cobra.Command{
		Use: "get NAME", Short: "Print one", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			return cliCall(cmd, http.MethodGet, "/api/v1/"+r.collection+"/"+url.PathEscape(a[0]), nil, r.table,
				func(err error) error { return nameError(err, r.what, a[0]) })
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use: "delete NAME", Short: "Delete one", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, token, err := cliConfig(cmd)
			if err != nil {
				return err
			}
			if _, _, err := adminDo(cmd.Context(), c.AdminURL, token, http.MethodDelete, "/api/v1/"+r.collection+"/"+url.PathEscape(a[0]), nil); err != nil {
				return nameError(err, r.what, a[0])
			}
			if js, err := jsonOutput(cmd); err != nil || js {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Deleted %s %s.\n", r.what, a[0])
			return nil
		},
	})
	cmd.AddCommand(listCmd(r.collection, r.listTable))
	return cmd
}

// listCmd lists a paged collection whole, following each page's nextLink.
func listCmd(collection string, table tableFunc) *cobra.Command {
	var top int
	list := &cobra.Command{
		Use: "list", Short: "List all (follows nextLink)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listPaged(cmd, "/api/v1/"+collection, top, table)
		},
	}
	list.Flags().IntVar(&top, "top", 100, "page size of each request (1 to 1000)")
	return list
}

// assetCmd inspects the assets on storage: their state, tracks, and
// what they are served without.
func assetCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "asset", Short: "Inspect assets on storage: state, tracks, what cannot be served and why"}
	addOutputFlag(cmd)
	cmd.AddCommand(listCmd("assets", assetListTable))
	cmd.AddCommand(&cobra.Command{
		Use: "get NAME", Short: "Show an asset's state, tracks, and the tracks it is served without", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			return cliCall(cmd, http.MethodGet, "/api/v1/assets/"+url.PathEscape(a[0]), nil, assetTable,
				func(err error) error { return nameError(err, "asset", a[0]) })
		},
	})
	return cmd
}

func locatorCreateCmd() *cobra.Command {
	var asset, policy, keyPolicy, start, end, file string
	var filters []string
	cmd := &cobra.Command{
		Use:   "create NAME (--asset A --policy P | -f FILE)",
		Short: "Create a streaming locator (keys for enabled schemes are generated)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			var body []byte
			// What the user typed for each field, for error messages.
			fields := map[string]string{"name": fmt.Sprintf("NAME %q", a[0])}
			if file != "" {
				if asset != "" || policy != "" || keyPolicy != "" || start != "" || end != "" || len(filters) > 0 {
					return errors.New("locator create: give -f FILE, or --asset, --policy and the other flags, not both")
				}
				b, err := readInput(file, cmd.InOrStdin())
				if err != nil {
					return err
				}
				body = b
			} else {
				if asset == "" || policy == "" {
					return fmt.Errorf("locator create: give --asset and --policy, or -f FILE")
				}
				m := map[string]any{"name": a[0], "assetName": asset, "streamingPolicyName": policy}
				fields["assetName"] = flagValue("--asset", asset)
				fields["streamingPolicyName"] = flagValue("--policy", policy)
				fields["defaultContentKeyPolicyName"] = "--content-key-policy"
				if keyPolicy != "" {
					m["defaultContentKeyPolicyName"] = keyPolicy
					fields["defaultContentKeyPolicyName"] = flagValue("--content-key-policy", keyPolicy)
				}
				for _, t := range []struct{ key, flag, v string }{{"startTime", "--start", start}, {"endTime", "--end", end}} {
					if t.v == "" {
						continue
					}
					if _, err := time.Parse(time.RFC3339, t.v); err != nil {
						return fmt.Errorf("%s %q: want RFC 3339, e.g. 2026-11-01T00:00:00Z", t.flag, t.v)
					}
					m[t.key] = t.v
					fields[t.key] = flagValue(t.flag, t.v)
				}
				if len(filters) > 0 {
					m["filters"] = filters
					for i, f := range filters {
						fields["filters["+strconv.Itoa(i)+"]"] = flagValue("--filter", f)
					}
				}
				body, _ = json.Marshal(m)
			}
			return cliCall(cmd, http.MethodPut, "/api/v1/streamingLocators/"+url.PathEscape(a[0]), body, locatorTable,
				func(err error) error {
					if file != "" {
						return fileError(err, file, a[0])
					}
					return flagged(err, fields)
				})
		},
	}
	cmd.Flags().StringVar(&asset, "asset", "", "asset name (directory under storage.root)")
	cmd.Flags().StringVar(&policy, "policy", "", "streaming policy name, e.g. Predefined_ClearStreamingOnly")
	cmd.Flags().StringVar(&keyPolicy, "content-key-policy", "", "default content key policy name (required where this origin delivers the keys, e.g. Predefined_ClearKey)")
	cmd.Flags().StringVar(&start, "start", "", "start time (RFC 3339)")
	cmd.Flags().StringVar(&end, "end", "", "end time (RFC 3339)")
	cmd.Flags().StringSliceVar(&filters, "filter", nil, "a filter applied to every URL of the locator (asset filter of that name, else account filter; repeatable, at most 3)")
	cmd.Flags().StringVarP(&file, "file", "f", "", "locator JSON file (- for stdin) instead of flags")
	return cmd
}

func actionCmd(use, action, short string, table tableFunc) *cobra.Command {
	return &cobra.Command{
		Use: use + " NAME", Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			return cliCall(cmd, http.MethodPost, "/api/v1/streamingLocators/"+url.PathEscape(a[0])+"/"+action, []byte("{}"), table,
				func(err error) error { return nameError(err, "streaming locator", a[0]) })
		},
	}
}

// nameError is the error of a command about the resource NAME names.
func nameError(err error, what, name string) error {
	return notFound(flagged(err, map[string]string{"name": fmt.Sprintf("NAME %q", name)}), what, name)
}

// fileError is the error of a command that sent the JSON of -f FILE: a
// field at fault is named as the file's.
func fileError(err error, file, name string) error {
	var ae *apiError
	if !errors.As(err, &ae) || ae.Target == "" {
		return err
	}
	if ae.Target == "name" {
		return nameError(err, "resource", name)
	}
	if file == "-" {
		file = "stdin"
	}
	return fmt.Errorf("-f %s: %s: %s (%d %s)", file, ae.Target, ae.Message, ae.Status, ae.Code)
}

func cliConfig(cmd *cobra.Command) (*config, string, error) {
	c, err := loadConfig(cmd.Flags())
	if err != nil {
		return nil, "", err
	}
	printWarnings(cmd.ErrOrStderr(), c)
	token, err := c.cliToken()
	if err != nil {
		return nil, "", err
	}
	return c, token, nil
}

// cliCall makes one management API request and prints its answer (a table
// or JSON, -o); a Warning the API sends goes to stderr. explain turns an
// error into one that names what the user typed.
func cliCall(cmd *cobra.Command, method, path string, body []byte, table tableFunc, explain func(error) error) error {
	if _, err := jsonOutput(cmd); err != nil {
		return err
	}
	c, token, err := cliConfig(cmd)
	if err != nil {
		return err
	}
	h, data, err := adminDo(cmd.Context(), c.AdminURL, token, method, path, body)
	if err != nil {
		if explain != nil {
			err = explain(err)
		}
		return err
	}
	if w := warning(h); w != "" {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
	}
	if len(data) == 0 {
		return nil
	}
	return emit(cmd, data, table)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func readInput(file string, stdin io.Reader) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(io.LimitReader(stdin, 1<<20+1))
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("-f %s: %w", file, err)
	}
	return b, nil
}
