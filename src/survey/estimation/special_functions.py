"""The four special functions the intervals need, as scipy.special's own ufunc objects.

``stdtrit`` (the t quantile behind ``scipy.stats.t.ppf`` and R's ``qt``), ``betaincinv`` (the
beta quantile behind ``scipy.stats.beta.ppf``, from Boost), ``logit`` and ``expit``. These are
the very objects ``scipy.special`` exports (``scipy.special.stdtrit is stdtrit``), so every
digit is scipy's. What differs is the import: ``scipy.special``'s package start-up wraps every
function for the array API standard (``scipy._lib._array_api``, which walks all of numpy's
submodules, numpy.f2py among them) and loads ``_specfun``; on the command line that was most of
``survey estimate``'s start-up beyond pandas. The ufuncs live in the extension module
``scipy.special._ufuncs``, which needs only its package's name to import.

So, in a process with one Python thread and no ``scipy.special`` loaded yet (the command line),
the extension is imported under a placeholder package that is removed again at once; a later
``import scipy.special`` runs the package as usual and finds the same extension module. With
other threads (a Jupyter kernel, a Dask worker), or if the extension's layout changes, the
functions come from an ordinary ``import scipy.special``.

Examples
--------
>>> from survey.estimation.special_functions import stdtrit
>>> float(stdtrit(198.0, 0.975))  # R: qt(0.975, 198)
1.9720174778363146
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types

NAMES = ("stdtrit", "betaincinv", "logit", "expit")


def _from_extension():
    """``scipy.special._ufuncs`` imported without running ``scipy/special/__init__.py``."""
    import scipy

    spec = importlib.util.find_spec("scipy.special")
    placeholder = types.ModuleType("scipy.special")
    placeholder.__path__ = list(spec.submodule_search_locations)
    placeholder.__spec__ = spec
    sys.modules["scipy.special"] = placeholder
    try:
        return importlib.import_module("scipy.special._ufuncs")
    finally:
        del sys.modules["scipy.special"]
        if vars(scipy).get("special") is placeholder:  # not getattr: scipy's __getattr__ would import it
            del scipy.special  # `from scipy import special` must import the real package later


def _load():
    if "scipy.special" not in sys.modules and threading.active_count() == 1:
        try:
            module = _from_extension()
            if all(hasattr(module, name) for name in NAMES):
                return module
        except ImportError:
            pass
    from scipy import special

    return special


_module = _load()
stdtrit = _module.stdtrit
betaincinv = _module.betaincinv
logit = _module.logit
expit = _module.expit
del _module
