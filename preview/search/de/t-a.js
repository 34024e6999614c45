(window.imSearchData=window.imSearchData||{})["de/t-a"]={"forms":{},"terms":{"abschluss":[0,1,1,3]}};
