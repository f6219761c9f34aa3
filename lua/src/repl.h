/* repl.h - the interactive session and the stdin-script mode. */
#ifndef MD_REPL_H
#define MD_REPL_H

/* Interactive: line editing (libedit), history, multi-line input, =expr. */
int md_repl_main(void);
/* Runs standard input as one script, without prompts or escape codes. */
int md_repl_script_stdin(void);

#endif
