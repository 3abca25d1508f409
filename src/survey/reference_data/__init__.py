"""Package data: standard populations for age standardisation (CSV + YAML metadata each).

Load them with :func:`survey.estimation.standard_population`; see README.md in this folder.
"""
