(window.imSearchData=window.imSearchData||{})["de/t-k"]={"forms":{},"terms":{"kass":[1,10]}};
