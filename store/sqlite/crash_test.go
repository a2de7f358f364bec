package sqlite

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// crashEnv names the store file for the child process of TestCrashDurability.
const crashEnv = "BIOMESH_SQLITE_CRASH_CHILD"

// TestCrashChild is the child of TestCrashDurability: it writes persons until it is killed,
// printing each ID after CreatePerson has returned. It does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("only run as the child of TestCrashDurability")
	}
	db, err := Open(path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		id := fmt.Sprintf("P-%d-%06d", os.Getpid(), i) // unique across rounds
		if err := db.CreatePerson(ctx, person(id, time.Now()), samples(2), entry("person.enrol", id)); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Println("ack", id) // unbuffered: the write to the pipe is done before the next person
	}
}

// TestCrashDurability kills a writing child process with SIGKILL and checks that every
// person the child had acknowledged is in the reopened store and that the audit chain
// verifies. It covers a process crash; a power loss additionally depends on the disk
// honouring fsync, which a test cannot check.
func TestCrashDurability(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("child")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	const wantAcks = 300
	var total []string
	for round := range 2 { // the second round starts from the file the first crashed on
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var acked []string
		timeout := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
		sc := bufio.NewScanner(out)
		for sc.Scan() && len(acked) < wantAcks {
			line := sc.Text()
			if id, ok := strings.CutPrefix(line, "ack "); ok {
				acked = append(acked, id)
			} else if strings.HasPrefix(line, "error") {
				t.Fatalf("child: %s", line)
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		timeout.Stop()
		if len(acked) < wantAcks {
			t.Fatalf("round %d: child acknowledged only %d persons", round, len(acked))
		}

		db, err := Open(path)
		if err != nil {
			t.Fatalf("reopen after kill: %v", err)
		}
		total = append(total, acked...)
		for _, id := range total {
			if _, err := db.Person(ctx, id); err != nil {
				t.Errorf("round %d: acknowledged %s lost: %v", round, id, err)
			}
		}
		n := verifyChain(t, db)
		var persons int64
		db.w.QueryRow(`SELECT count(*) FROM persons`).Scan(&persons)
		if n != persons {
			t.Errorf("round %d: %d audit entries for %d persons", round, n, persons)
		}
		t.Logf("round %d: %d acknowledged in all, %d stored, chain of %d verifies", round, len(total), persons, n)
		db.Close()
	}
}
