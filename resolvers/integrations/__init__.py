"""Telling other systems what happened: signed webhooks (endpoints, the delivery outbox written with each
change, the worker that posts it). It imports `core`, `setup`, `payments` and `fulfilment`; nothing
imports it: the app and the worker install its session listener at start-up."""
