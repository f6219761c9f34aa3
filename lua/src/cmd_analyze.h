/* cmd_analyze.h - `mixdown analyze FILE... [--json] [--report FILE.html]`. */
#ifndef MD_CMD_ANALYZE_H
#define MD_CMD_ANALYZE_H

/* argv[0] is "analyze". Returns the exit code (0, 1 bad usage/input, 2 internal). */
int md_cmd_analyze(int argc, char **argv);

#endif
