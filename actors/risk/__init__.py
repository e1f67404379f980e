"""Portfolio risk: pure pre-trade rules (rules.py), pure trading state and breakers (breakers.py), the RiskActor gate."""
