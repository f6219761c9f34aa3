/* cli.h - the command line: verbs, options, exit codes (DESIGN.md contract). */
#ifndef MD_CLI_H
#define MD_CLI_H

/* Exit codes of the public contract. */
enum { MD_EXIT_OK = 0, MD_EXIT_USAGE = 1, MD_EXIT_INTERNAL = 2, MD_EXIT_INTERRUPTED = 130 };

int md_cli_main(int argc, char **argv);

#endif
