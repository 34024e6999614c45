(window.imSearchData=window.imSearchData||{})["de/t-z"]={"forms":{},"terms":{"zwei":[1,1]}};
