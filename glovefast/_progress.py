"""Progress bars: tqdm when asked for, a no-op object otherwise (so loops need no branches)."""


class _NoBar:
    def update(self, n=1):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def close(self):
        pass


def progress_bar(enabled, **kwargs):
    """A tqdm bar when ``enabled`` (written to stderr), else an object with the same methods."""
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(**kwargs)
