"""Order execution: the paper fill model (pure) and, beside it, the live venue adapter and the actor.

``paper.py`` is the paper venue (queue position, latency, partial fills, fees); ``queue.py`` its queue models
(hftbacktest's ``RiskAdverseQueueModel`` / ``ProbQueueModel``); ``matching.py`` book walking, stop triggers, fees.
"""

from actors.execution.paper import PaperConfig, PaperVenue
from actors.execution.queue import QUEUE_MODELS, queue_model

__all__ = ["QUEUE_MODELS", "PaperConfig", "PaperVenue", "queue_model"]
