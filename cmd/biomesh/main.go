// Command biomesh is the biomesh command line: fingerprint extraction and comparison,
// evaluation, and (as the project grows) the node and its clients.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "biomesh:", err)
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "biomesh",
		Short:         "Federated multi-modal biometric identification",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newUserCmd(), newAuditCmd(), newFingerprintCmd(), newEvalCmd(), newSynthCmd())
	addClientCmds(root)
	for _, c := range commands {
		root.AddCommand(c())
	}
	return root
}

// commands holds top-level commands that register themselves from their own file with
// an init function, so that a new command is a new file and main.go stays as it is.
var commands []func() *cobra.Command
