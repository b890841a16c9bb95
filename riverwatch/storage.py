"""Static files as production serves them."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed names and precompressed copies (WhiteNoise), and ES modules that import each other by
    their hashed names too. Without that, `import './common.js'` inside a hashed module would fetch the
    unhashed file: never cached for long, and missing from the phone app's offline copy."""

    support_js_module_import_aggregation = True
