package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat: 100
// on every Linux architecture Go supports.
const clockTicks = 100

// ProcCPU returns the CPU time process pid has used, in nanoseconds: the
// sum of its threads' time on a CPU from /proc/PID/task/*/schedstat (the
// scheduler's own clock). Where schedstat is missing it falls back to
// ProcCPUTicks, whose 10 ms tick needs seconds of CPU per measurement to
// be precise to 1 %; the nanosecond clock lets the suite take many short
// rounds instead, and the best of many rounds is what a noisy shared
// machine can be trusted for. Threads that exit between two readings take
// their time with them; Go's runtime keeps its threads.
func ProcCPU(pid int) (time.Duration, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var sum time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
		if err != nil {
			if os.IsNotExist(err) {
				if _, serr := os.Stat(dir); serr == nil && len(tasks) > 0 {
					continue // the thread exited
				}
			}
			return ProcCPUTicks(pid)
		}
		f := bytes.Fields(b)
		if len(f) == 0 {
			return ProcCPUTicks(pid)
		}
		ns, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s/%s/schedstat: %v", dir, t.Name(), err)
		}
		sum += time.Duration(ns)
	}
	return sum, nil
}

// ProcCPUTicks returns the user+system CPU time process pid has used, from
// /proc/PID/stat (fields 14 and 15, in clock ticks).
func ProcCPUTicks(pid int) (time.Duration, error) {
	// f[0] is field 3 (state): utime is field 14, stime field 15.
	f, err := procStat(pid, 13)
	if err != nil {
		return 0, err
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime/stime", pid)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// ProcRSS returns the resident set size of pid from /proc/PID/status.
func ProcRSS(pid int) (int64, error) { return procStatusKB(pid, "VmRSS:") }

// ProcRSSAnon returns the anonymous part of pid's resident set (RssAnon in
// /proc/PID/status): the heap, stacks and buffers the process owns. The
// rest of VmRSS is file pages it maps (an origin that maps its media counts
// every touched page of every asset there); those are the page cache's,
// shared and reclaimable, and say nothing about a leak.
func ProcRSSAnon(pid int) (int64, error) { return procStatusKB(pid, "RssAnon:") }

func procStatusKB(pid int, field string) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no %s", pid, strings.TrimSuffix(field, ":"))
}

// ParseMetrics picks the named samples (without labels) out of a Prometheus
// text exposition.
func ParseMetrics(body []byte, names ...string) map[string]float64 {
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		for _, n := range names {
			if f[0] == n {
				if v, err := strconv.ParseFloat(f[1], 64); err == nil {
					out[n] = v
				}
			}
		}
	}
	return out
}

// ProcWriteSyscalls returns the number of write system calls (write,
// writev, sendmsg, …) process pid has made: syscw in /proc/PID/io. A
// response sent in one writev counts one; one sent run by run counts one
// per run.
func ProcWriteSyscalls(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "syscw:"); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/io: no syscw", pid)
}

// ProcMinorFaults returns the minor page faults process pid has taken
// (minflt, field 10 of /proc/PID/stat): first touches of fresh heap memory
// and of mapped file pages that are in the page cache.
func ProcMinorFaults(pid int) (int64, error) {
	// f[0] is field 3 (state): minflt is field 10.
	f, err := procStat(pid, 8)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(f[7], 10, 64)
}

// procStat returns the fields of /proc/PID/stat from field 3 (state) on,
// at least n of them. The command name (field 2) is in parentheses and
// may hold spaces, so the fields start after its last ')'.
func procStat(pid, n int) ([]string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no command field", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < n {
		return nil, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	return f, nil
}
