package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

// otherEnv are DRMORIGIN_* variables that are not configuration keys: the
// configuration file, and tools of the test suite.
var otherEnv = map[string]bool{configEnv: true, "DRMORIGIN_MINIO": true, "DRMORIGIN_AZURITE": true, "DRMORIGIN_TESTMEDIA": true}

// readFileKeys returns the keys a configuration file sets, dotted, as
// written (viper folds their case, which would hide a typo's spelling).
func readFileKeys(path string) ([]string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", "":
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := yaml.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		var keys []string
		flatten("", m, &keys)
		slices.Sort(keys)
		return keys, nil
	}
	fv := viper.New() // JSON, TOML…: keys in lower case
	fv.SetConfigFile(path)
	if err := fv.ReadInConfig(); err != nil {
		return nil, err
	}
	return fv.AllKeys(), nil
}

func flatten(prefix string, m map[string]any, out *[]string) {
	for k, v := range m {
		if prefix != "" {
			k = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			flatten(k, sub, out)
			continue
		}
		*out = append(*out, k)
	}
}

// unknownFileKeys warns of each key in file that is not a configuration
// key, with the key it probably meant.
func unknownFileKeys(file string, keys []string) []string {
	var out []string
	for _, k := range keys {
		if known(k) {
			continue
		}
		w := fmt.Sprintf("unknown key %s in %s (ignored)", k, file)
		for _, d := range defaults {
			if strings.EqualFold(k, d.flag) || strings.EqualFold(k, envName(d.key)) {
				w += fmt.Sprintf(": the YAML form of --%s and %s is %s", d.flag, envName(d.key), d.key)
				k = ""
				break
			}
		}
		if k != "" {
			if s := closest(k, func(key string) string { return key }); s != "" {
				w += "; did you mean " + s + "?"
			}
		}
		out = append(out, w)
	}
	return out
}

func known(key string) bool {
	for _, d := range defaults {
		if strings.EqualFold(d.key, key) {
			return true
		}
	}
	return false
}

// unknownEnv warns of each DRMORIGIN_* variable of environ that names no
// configuration key.
func unknownEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "DRMORIGIN_") || otherEnv[name] {
			continue
		}
		if slices.ContainsFunc(defaults, func(d struct{ key, flag, def, usage string }) bool { return envName(d.key) == name }) {
			continue
		}
		w := fmt.Sprintf("unknown environment variable %s (ignored)", name)
		if s := closest(name, envName); s != "" {
			w += fmt.Sprintf("; did you mean %s (key %s)?", envName(s), s)
		}
		out = append(out, w)
	}
	slices.Sort(out)
	return out
}

// closest returns the key whose form (as form gives it) is nearest to s,
// when it is near enough to be a typo.
func closest(s string, form func(key string) string) string {
	best, bestD := "", 4
	for _, d := range defaults {
		f := form(d.key)
		if dist := editDistance(strings.ToLower(s), strings.ToLower(f)); dist < bestD {
			best, bestD = d.key, dist
		}
	}
	if bestD > max(1, len(s)/5) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
