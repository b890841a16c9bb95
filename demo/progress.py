"""A progress bar for the demo command: tqdm on the command's stderr, only on a terminal, never at verbosity 0."""

from tqdm import tqdm


def progress_bar(command, description, verbosity):
    """A function that wraps an iterable in a bar, for writer.write_activities(progress=...)."""
    # tqdm redraws a line with "\r"; Django's OutputWrapper would end each write with a newline,
    # so the bar writes to the stream the wrapper holds.
    stream = command.stderr._out
    shown = verbosity > 0 and hasattr(stream, "isatty") and stream.isatty()

    def wrap(items):
        return tqdm(items, desc=description, unit="条", file=stream, disable=not shown, leave=False)

    return wrap
