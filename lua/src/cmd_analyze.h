/* cmd_analyze.h - `mixdown analyze FILE... [--json]` (DESIGN.md "analyze --json"). */
#ifndef MD_CMD_ANALYZE_H
#define MD_CMD_ANALYZE_H

/* argv[0] is "analyze". Prints a table per file, or with --json one JSON
 * object per file and line, on stdout; problems go to stderr, one line each,
 * naming the file. Returns the exit code: 0 ok (non-finite samples warn
 * only), 1 bad usage or a file that cannot be read (the others are still
 * measured), 2 internal failure, 130 interrupted. */
int md_cmd_analyze(int argc, char **argv);

#endif
