"""Laravel application awareness: read an app's Eloquent models with a real PHP parser
(tree-sitter-php), find code that still names a renamed column, and patch it.

tree-sitter is an optional dependency (`pip install 'fixgen[laravel]'`); only the
`fixgen models` command path imports it.
"""
