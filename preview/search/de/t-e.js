(window.imSearchData=window.imSearchData||{})["de/t-e"]={"forms":{},"terms":{"ein":[1,1]}};
