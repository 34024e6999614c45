(window.imSearchData=window.imSearchData||{})["de/t-n"]={"forms":{},"terms":{"nachricht":[0,3]}};
