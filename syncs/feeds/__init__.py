"""Scheduled feeds: fetch a file from where the retailer's systems drop it, and import it.

`sources` reaches sftp://, http(s)://, s3://, gs:// and local files through fsspec; `credentials`
keeps their secrets encrypted; `timing` says when a feed is due; `runs` holds every transition of
a FeedRun; `runner` is one run, step by step.
"""
