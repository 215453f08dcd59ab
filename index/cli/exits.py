"""Exit status of every command: 0 ok, 1 partial (something was skipped, and named), 2 usage or
fatal error (the message says how to fix it). A module of its own so that a command's module
can use them without importing the parser that registers it."""

EXIT_OK, EXIT_PARTIAL, EXIT_FATAL = 0, 1, 2
