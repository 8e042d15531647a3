"""Kafka adapter: ``command_consumer`` (ledger.commands -> the application, refusals to the DLQ via
``dead_letters``), ``relay`` (notification log -> ledger.events), ``projection_consumer`` (ledger.events ->
read models), ``settings`` (client options from ``LEDGER_KAFKA_*``) and ``tansu`` (the development broker).
"""
