# The ledger service image: the `ledger` command (API, consumer, relay, projections, admin).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# openssl: RFC 3161 timestamp queries and token checks (ledger anchor, evidence export/verify with a TSA).
RUN apt-get update && apt-get install -y --no-install-recommends openssl && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 ledger
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ledger ./ledger
COPY application ./application
COPY infrastructure ./infrastructure
COPY projections ./projections
COPY schemas ./schemas
COPY evidence ./evidence
COPY dunning ./dunning
COPY api ./api
COPY consumers ./consumers
COPY ledger_cli ./ledger_cli
RUN pip install .
USER ledger
EXPOSE 8000
CMD ["ledger", "--help"]
