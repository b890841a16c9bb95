"""A tqdm progress bar for management commands: on stderr, quiet at verbosity 0."""

from tqdm import tqdm


def progress_bar(command, description, verbosity):
    def wrap(items):
        return tqdm(items, desc=description, unit="个", file=command.stderr._out, disable=verbosity == 0, leave=False)

    return wrap
