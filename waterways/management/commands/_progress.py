"""A tqdm progress bar for management commands: on stderr, only on a terminal, quiet at verbosity 0."""

from tqdm import tqdm


def progress_bar(command, description, verbosity):
    def wrap(items):
        return tqdm(items, desc=description, unit="个", file=command.stderr._out, disable=True if verbosity == 0 else None, leave=False)

    return wrap
