/*
 * The Nyx language entry point used by the `nyx` command: `nyx FILE.ny
 * [ARGS...]`. argv[0] is the script path, the rest reach the script as its
 * `argv` array. Returns the process exit status: 0 on success, 1 on a
 * script error (the message "file:line:col: message" went to stderr), or
 * the status the script passed to exit().
 */
#ifndef NYX_SCRIPT_H
#define NYX_SCRIPT_H

int nyx_script_main(int argc, char **argv);

#endif
