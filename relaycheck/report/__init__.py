"""From raw runs to the sealed Report: the judge step and redaction, the Report type, reading one back."""
