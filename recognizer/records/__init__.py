"""Keeping predictions: the Cassandra tables, the writer, the outbox and the history selectors.

Recognising a drawing (``recognizer.services``) and keeping its record are two rooms with
one door: the services hand a finished record to this package's writer.
"""
