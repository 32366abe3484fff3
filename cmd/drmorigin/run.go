package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
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

	locator := resourceCmd("locator", "streamingLocators", "streaming locators")
	locator.AddCommand(locatorCreateCmd(stdout))
	locator.AddCommand(actionCmd("paths", "listPaths", "Print the streaming paths of a locator", stdout))
	locator.AddCommand(actionCmd("keys", "listContentKeys", "Print a locator's content keys, with their values", stdout))
	root.AddCommand(locator)
	root.AddCommand(resourceCmd("content-key-policy", "contentKeyPolicies", "content key policies"))
	root.AddCommand(resourceCmd("streaming-policy", "streamingPolicies", "streaming policies"))

	root.AddCommand(tokenCmd())
	root.AddCommand(configCmd(stdout))
	root.AddCommand(kekCmd(stdout))

	assets := &cobra.Command{Use: "asset", Short: "Inspect assets on storage"}
	assets.AddCommand(&cobra.Command{
		Use: "list", Short: "List assets", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cliCall(cmd, http.MethodGet, "/api/v1/assets", nil)
		},
	})
	assets.AddCommand(&cobra.Command{
		Use: "get NAME", Short: "Show an asset's tracks", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			return cliCall(cmd, http.MethodGet, "/api/v1/assets/"+a[0], nil)
		},
	})
	root.AddCommand(assets)

	return root.ExecuteContext(context.Background())
}

// resourceCmd is the put/get/delete/list family of one management resource.
func resourceCmd(use, collection, what string) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: "Manage " + what}
	var file string
	put := &cobra.Command{
		Use: "put NAME -f FILE", Short: "Create or update from a JSON file (- for stdin)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			body, err := readInput(file, cmd.InOrStdin())
			if err != nil {
				return err
			}
			return cliCall(cmd, http.MethodPut, "/api/v1/"+collection+"/"+a[0], body)
		},
	}
	put.Flags().StringVarP(&file, "file", "f", "", "JSON file (- for stdin)")
	_ = put.MarkFlagRequired("file")
	cmd.AddCommand(put)
	cmd.AddCommand(&cobra.Command{
		Use: "get NAME", Short: "Print one", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			return cliCall(cmd, http.MethodGet, "/api/v1/"+collection+"/"+a[0], nil)
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use: "delete NAME", Short: "Delete one", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			return cliCall(cmd, http.MethodDelete, "/api/v1/"+collection+"/"+a[0], nil)
		},
	})
	var top int
	list := &cobra.Command{
		Use: "list", Short: "List all (follows nextLink)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, token, err := cliConfig(cmd)
			if err != nil {
				return err
			}
			var all []json.RawMessage
			next := fmt.Sprintf("/api/v1/%s?$top=%d", collection, top)
			for i := 0; next != "" && i < 100000; i++ {
				var page struct {
					Value    []json.RawMessage `json:"value"`
					NextLink string            `json:"nextLink"`
				}
				if err := adminCall(cmd.Context(), c.AdminURL, token, http.MethodGet, next, nil, &page); err != nil {
					return err
				}
				all = append(all, page.Value...)
				next = page.NextLink
			}
			return printJSON(cmd.OutOrStdout(), map[string]any{"value": all})
		},
	}
	list.Flags().IntVar(&top, "top", 100, "page size")
	cmd.AddCommand(list)
	return cmd
}

func locatorCreateCmd(stdout io.Writer) *cobra.Command {
	var asset, policy, keyPolicy, start, end, file string
	cmd := &cobra.Command{
		Use:   "create NAME (--asset A --policy P | -f FILE)",
		Short: "Create a streaming locator (keys for enabled schemes are generated)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			var body []byte
			if file != "" {
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
				if keyPolicy != "" {
					m["defaultContentKeyPolicyName"] = keyPolicy
				}
				for k, v := range map[string]string{"startTime": start, "endTime": end} {
					if v == "" {
						continue
					}
					if _, err := time.Parse(time.RFC3339, v); err != nil {
						return fmt.Errorf("--%s %q: want RFC 3339, e.g. 2026-11-01T00:00:00Z", k, v)
					}
					m[k] = v
				}
				body, _ = json.Marshal(m)
			}
			return cliCall(cmd, http.MethodPut, "/api/v1/streamingLocators/"+a[0], body)
		},
	}
	cmd.Flags().StringVar(&asset, "asset", "", "asset name (directory under storage.root)")
	cmd.Flags().StringVar(&policy, "policy", "", "streaming policy name, e.g. Predefined_ClearStreamingOnly")
	cmd.Flags().StringVar(&keyPolicy, "content-key-policy", "", "default content key policy name")
	cmd.Flags().StringVar(&start, "start", "", "start time (RFC 3339)")
	cmd.Flags().StringVar(&end, "end", "", "end time (RFC 3339)")
	cmd.Flags().StringVarP(&file, "file", "f", "", "locator JSON file (- for stdin) instead of flags")
	return cmd
}

func actionCmd(use, action, short string, _ io.Writer) *cobra.Command {
	return &cobra.Command{
		Use: use + " NAME", Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, a []string) error {
			return cliCall(cmd, http.MethodPost, "/api/v1/streamingLocators/"+a[0]+"/"+action, []byte("{}"))
		},
	}
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

// cliCall makes one management API request and prints its JSON answer.
func cliCall(cmd *cobra.Command, method, path string, body []byte) error {
	c, token, err := cliConfig(cmd)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := adminCall(cmd.Context(), c.AdminURL, token, method, path, body, &buf); err != nil {
		return err
	}
	if buf.Len() == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
		_, err = cmd.OutOrStdout().Write(buf.Bytes())
		return err
	}
	return printJSON(cmd.OutOrStdout(), v)
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
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return b, nil
}
