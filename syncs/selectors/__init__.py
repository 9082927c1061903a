"""Reads for the pages, one module per entity; each a keyword-only function `<entity>_<query>`.

A selector reads the database (and the cache) only; it never makes an HTTP call. Every list is
built with a fixed number of queries whatever its length (the view tests count them), and every
list that can grow without bound is paginated by `pagination.keyset_page`.
"""
