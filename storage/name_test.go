package storage

import "testing"

func TestValidName(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"demo", true},
		{"demo/video.mp4", true},
		{"a/b/c.mp4", true},
		{"demo/video..mp4", true},
		{"", false},
		{".", false},
		{"..", false},
		{"../x", false},
		{"demo/..", false},
		{"demo/../x", false},
		{"demo/./x", false},
		{".hidden", false},
		{"demo/.hidden", false},
		{"/etc/passwd", false},
		{"demo/", false},
		{"demo//x", false},
		{"a\\b", false},
		{"..\\x", false},
		{"a\x00b", false},
	} {
		if got := ValidName(c.name); got != c.ok {
			t.Errorf("ValidName(%q) = %v, want %v", c.name, got, c.ok)
		}
	}
	for _, c := range []struct {
		prefix string
		ok     bool
	}{
		{"", true},
		{"demo/", true},
		{"a/b/", true},
		{"demo", false},
		{"/", false},
		{"../", false},
		{".hidden/", false},
		{"a//", false},
	} {
		if got := validPrefix(c.prefix); got != c.ok {
			t.Errorf("validPrefix(%q) = %v, want %v", c.prefix, got, c.ok)
		}
	}
}
