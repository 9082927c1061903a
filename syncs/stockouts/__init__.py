"""The stock-out check: proof that every product we stocked out is dark in CitrusAd.

`checks` holds every transition of a StockoutCheck; `runner` asks CitrusAd product by product
(the documented GET, one code per request, at STOCKOUT_CHECK_RATE) and re-sends the ones that are
not dark; `services/stockouts.py` starts checks and asks again after the re-sends landed.
"""
