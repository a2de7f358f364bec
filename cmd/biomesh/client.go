package main

import "github.com/spf13/cobra"

// addClientCmds adds the commands that talk to a running node.
func addClientCmds(root *cobra.Command) {}
